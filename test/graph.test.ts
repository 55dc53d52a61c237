import { describe, expect, test } from "bun:test";
import { ModuleGraph } from "../src/graph.ts";

function graph(edges: Array<[string, string, ("static" | "dynamic")?]>) {
  const g = new ModuleGraph();
  const by = new Map<string, Array<[string, "static" | "dynamic"]>>();
  for (const [from, to, kind] of edges) {
    if (!by.has(from)) by.set(from, []);
    by.get(from)!.push([to, kind ?? "static"]);
  }
  for (const [from, deps] of by) g.setDeps(from, deps);
  return g;
}

describe("ModuleGraph", () => {
  test("affected: the changed file and its transitive static importers, nothing else", () => {
    const g = graph([["main", "routes"], ["routes", "svc"], ["svc", "util"], ["main", "other"], ["other", "util2"]]);
    expect([...g.affected(["util"])].sort()).toEqual(["main", "routes", "svc", "util"]);
  });

  test("affected does not climb dynamic edges", () => {
    const g = graph([["main", "lazy", "dynamic"], ["lazy", "util"]]);
    expect([...g.affected(["util"])].sort()).toEqual(["lazy", "util"]);
  });

  test("affected stops at a boundary but includes it", () => {
    const g = graph([["main", "a"], ["a", "b"]]);
    expect([...g.affected(["b"], (p) => p === "a")].sort()).toEqual(["a", "b"]);
  });

  test("components come dependencies first, and a cycle is one component", () => {
    const g = graph([["main", "a"], ["a", "b"], ["b", "a"], ["b", "c"]]);
    const comps = g.components(new Set(["main", "a", "b", "c"]));
    expect(comps[0]).toEqual(["c"]);
    expect(comps[1]!.sort()).toEqual(["a", "b"]);
    expect(comps[2]).toEqual(["main"]);
  });

  test("components handle a chain deeper than the JS stack would allow recursively", () => {
    const edges: Array<[string, string]> = [];
    for (let i = 0; i < 20000; i++) edges.push([`m${i}`, `m${i + 1}`]);
    const g = graph(edges);
    const comps = g.components(new Set(g.paths()));
    expect(comps.length).toBe(20001);
    expect(comps[0]).toEqual(["m20000"]);
  });

  test("setDeps replaces edges and a static edge wins over a dynamic one", () => {
    const g = graph([["a", "b"], ["a", "c"]]);
    g.setDeps("a", [["c", "dynamic"], ["c", "static"], ["d", "static"]]);
    expect(g.deps("a").sort()).toEqual(["c", "d"]);
    expect(g.importers("b")).toEqual([]);
    expect(g.importers("c", "static")).toEqual(["a"]);
  });

  test("chain explains why a module re-ran", () => {
    const g = graph([["main", "routes"], ["routes", "svc"], ["svc", "util"]]);
    expect(g.chain("util", "main")).toEqual(["util", "svc", "routes", "main"]);
    expect(g.chain("main", "util")).toEqual([]);
  });

  test("remove drops a node and its edges; unreachable finds orphans", () => {
    const g = graph([["main", "a"], ["a", "b"], ["x", "y"]]);
    expect(g.unreachable(["main"]).sort()).toEqual(["x", "y"]);
    g.remove("a");
    expect(g.has("a")).toBe(false);
    expect(g.importers("b")).toEqual([]);
    expect(g.deps("main")).toEqual([]);
  });
});

describe("ModuleGraph.evaluationOrder", () => {
  test("kept until an edge or a node changes; scanning a module again to the same imports keeps it", () => {
    const g = new ModuleGraph();
    g.setDeps("main", [["a", "static"], ["b", "static"]]);
    const first = g.evaluationOrder(["main"]);
    expect([...first.keys()]).toEqual(["a", "b", "main"]);
    g.setDeps("main", [["a", "static"], ["b", "static"]]);
    expect(g.evaluationOrder(["main"])).toBe(first);
    g.setDeps("main", [["b", "static"], ["a", "static"]]);
    expect([...g.evaluationOrder(["main"]).keys()]).toEqual(["b", "a", "main"]);
    g.setDeps("a", [["c", "static"]]);
    expect([...g.evaluationOrder(["main"]).keys()]).toEqual(["b", "c", "a", "main"]);
    g.remove("c");
    expect([...g.evaluationOrder(["main"]).keys()]).toEqual(["b", "a", "main"]);
  });

  test("a module runs after its imports, in import order; in a cycle the member reached first runs last", () => {
    const g = graph([["main", "child"], ["main", "base"], ["child", "base"], ["base", "child"], ["main", "lazy", "dynamic"]]);
    const order = g.evaluationOrder(["main"]);
    const sorted = [...order.keys()].sort((a, b) => order.get(a)! - order.get(b)!);
    expect(sorted).toEqual(["base", "child", "main", "lazy"]);
  });
});
