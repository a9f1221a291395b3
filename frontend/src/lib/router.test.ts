import { describe, expect, it } from "vitest";
import { datasetSwitchHref, parseRoute, seriesListHref } from "./router";

describe("parseRoute", () => {
  it.each([
    ["", { page: "overview" }],
    ["#/", { page: "overview" }],
    ["#/series", { page: "series", query: "", offset: 0 }],
    ["#/series?q=store&offset=25", { page: "series", query: "store", offset: 25 }],
    ["#/series?offset=-3", { page: "series", query: "", offset: 0 }],
    ["#/series/42", { page: "seriesDetail", seriesId: 42 }],
    ["#/models", { page: "models" }],
    ["#/settings", { page: "settings" }],
    ["#/series/abc", { page: "notFound", path: "/series/abc" }],
    ["#/models?dataset=monthly", { page: "models" }],
    ["#/series/42?dataset=monthly", { page: "seriesDetail", seriesId: 42 }],
  ])("reads %j", (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  it("round-trips the series list's search and page", () => {
    expect(parseRoute(seriesListHref("a b", 50))).toEqual({
      page: "series",
      query: "a b",
      offset: 50,
    });
  });

  it("keeps the dataset in the series list's links", () => {
    expect(seriesListHref("a", 25, "monthly")).toBe("#/series?q=a&offset=25&dataset=monthly");
    expect(parseRoute(seriesListHref("a", 25, "monthly"))).toEqual({
      page: "series",
      query: "a",
      offset: 25,
    });
  });
});

describe("datasetSwitchHref", () => {
  it.each([
    [{ page: "overview" } as const, "#/?dataset=monthly"],
    [{ page: "models" } as const, "#/models?dataset=monthly"],
    [{ page: "series", query: "a", offset: 50 } as const, "#/series?q=a&dataset=monthly"],
    [{ page: "seriesDetail", seriesId: 3 } as const, "#/series?dataset=monthly"],
  ])("leads from %j to the same page of the other dataset", (route, href) => {
    expect(datasetSwitchHref(route, "monthly")).toBe(href);
  });
});
