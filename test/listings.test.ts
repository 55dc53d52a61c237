import { expect, test } from "bun:test";
import { Listings, listingKey, staticRoot } from "../src/loader/listings.ts";

test("a listing changes only when what it lists changes, and only saves under its folder count", () => {
  let names = ["a.ts"];
  let deep = ["x/1.ts"];
  const l = new Listings();
  const key = l.remember({ root: "/p/routes", shallow: true, signature: "readdir", list: () => names.join() });
  expect(key).toBe(listingKey("/p/routes"));
  l.remember({ root: "/p/pages", shallow: false, signature: "glob", list: () => deep.join() });
  // An edit of a listed file: same listing, nothing to re-run.
  expect(l.changed(["/p/routes/a.ts"])).toEqual([]);
  names = ["a.ts", "b.ts"];
  // Outside the folder, or below it for a plain readdir: not looked at.
  expect(l.changed(["/p/other.ts", "/p/routes/sub/c.ts"])).toEqual([]);
  expect(l.changed(["/p/routes/b.ts"])).toEqual([key]);
  // Seen once: the next save under it compares with the new listing.
  expect(l.changed(["/p/routes/b.ts"])).toEqual([]);
  deep = ["x/1.ts", "x/y/2.ts"];
  expect(l.changed(["/p/pages/x/y/2.ts"])).toEqual([listingKey("/p/pages")]);
});

test("a glob's folder is its part before the first wildcard", () => {
  expect(staticRoot("/p", "routes/**/*.ts")).toBe("/p/routes");
  expect(staticRoot("/p", "**/*.ts")).toBe("/p");
  expect(staticRoot("/p", "src/{a,b}/*.ts")).toBe("/p/src");
  expect(staticRoot("/p", "/abs/dir/*.md")).toBe("/abs/dir");
});
