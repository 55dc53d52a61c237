/**
 * `--unix PATH` when something is already at PATH. A socket left by a crashed run
 * (nobody listening) is replaced, as a restart should just work; a live socket or any
 * other file is left alone and named in one line.
 */
import { lstatSync, unlinkSync, type Stats } from "node:fs";

/** Makes `path` free for a new socket, or returns the one line saying why it cannot be. */
export async function claimSocketPath(path: string): Promise<string | undefined> {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return undefined; // Nothing there: free.
  }
  if (!st.isSocket()) return `--unix ${path}: ${kindOf(st)} is already there, not a socket; remove it or choose another path`;
  if (await listening(path)) return `--unix ${path}: a server is already listening on this socket; stop it or choose another path`;
  try {
    unlinkSync(path);
  } catch (err) {
    return `--unix ${path}: a stale socket is there and cannot be removed (${(err as NodeJS.ErrnoException).code ?? err})`;
  }
  return undefined;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a folder";
  if (st.isSymbolicLink()) return "a symbolic link";
  if (st.isFIFO()) return "a named pipe";
  if (st.isFile()) return "a file";
  return "something";
}

/** Does a process accept connections on the socket? A refused connection means a stale file. */
async function listening(path: string): Promise<boolean> {
  try {
    const socket = await Bun.connect({ unix: path, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false; // ECONNREFUSED (or the file vanished): nobody is listening.
  }
}
