// Hash routes (`#/series/3`): deep links work behind any static server (the API's mount,
// nginx) without a fallback rule, and reloads keep the page. Every route may carry the
// dataset shown (`?dataset=monthly`, see lib/dataset.ts).
import { useEffect, useState } from "react";
import { withDataset } from "./dataset";

export type Route =
  | { page: "overview" }
  | { page: "series"; query: string; offset: number }
  | { page: "seriesDetail"; seriesId: number }
  | { page: "models" }
  | { page: "settings" }
  | { page: "notFound"; path: string };

export function parseRoute(hash: string): Route {
  const [path, search = ""] = hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(search);
  const parts = path.split("/").filter(Boolean);
  if (parts.length === 0) return { page: "overview" };
  if (parts[0] === "series" && parts.length === 1) {
    const offset = Number(params.get("offset") ?? 0);
    return {
      page: "series",
      query: params.get("q") ?? "",
      offset: Number.isInteger(offset) && offset > 0 ? offset : 0,
    };
  }
  if (parts[0] === "series" && parts.length === 2 && /^\d+$/.test(parts[1])) {
    return { page: "seriesDetail", seriesId: Number(parts[1]) };
  }
  if (parts[0] === "models" && parts.length === 1) return { page: "models" };
  if (parts[0] === "settings" && parts.length === 1) return { page: "settings" };
  return { page: "notFound", path };
}

export function seriesListHref(query: string, offset: number, dataset?: string): string {
  const params = new URLSearchParams();
  if (query) params.set("q", query);
  if (offset > 0) params.set("offset", String(offset));
  const search = params.toString();
  const href = `#/series${search ? `?${search}` : ""}`;
  return dataset ? withDataset(href, dataset) : href;
}

/** Where switching to `dataset` leads from `route`: the same page of the other dataset; a
 * series (of one dataset) gives way to the other dataset's series list. */
export function datasetSwitchHref(route: Route, dataset: string): string {
  switch (route.page) {
    case "series":
      return seriesListHref(route.query, 0, dataset);
    case "seriesDetail":
      return seriesListHref("", 0, dataset);
    case "models":
    case "settings":
      return withDataset(`#/${route.page}`, dataset);
    case "overview":
    case "notFound":
      return withDataset("#/", dataset);
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
