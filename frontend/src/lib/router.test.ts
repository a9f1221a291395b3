import { describe, expect, it } from "vitest";
import { parseRoute, seriesListHref } from "./router";

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
});
