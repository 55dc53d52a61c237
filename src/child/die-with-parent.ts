/**
 * The app process never outlives `hmr-run`, even when `hmr-run` is killed with SIGKILL
 * and the app is stuck in an endless loop (where no JavaScript of ours can run).
 */
import { dlopen, FFIType } from "bun:ffi";

const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;

/** Exits when the process `parent` is gone: IPC disconnect, and on Linux a kernel parent-death signal. */
export function dieWithParent(parent: number): void {
  // An orderly `hmr-run` always says "stop" first; a lost channel means it died.
  process.on("disconnect", () => process.exit(0));
  if (process.platform === "linux") {
    try {
      // The kernel kills us the moment the parent exits, whatever we are doing: 0.2 ms
      // through FFI, and the only way out of `while (true) {}` once nobody can send SIGKILL.
      const libc = dlopen("libc.so.6", { prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 } });
      libc.symbols.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      libc.close();
    } catch {
      // No glibc (musl, a sandbox without FFI): the IPC disconnect above still covers every
      // case but a parent killed while the app is stuck in a loop.
    }
  }
  // The parent may have died before the signal was armed.
  if (process.ppid !== parent) process.exit(0);
}
