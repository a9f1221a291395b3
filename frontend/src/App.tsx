// The page frame: skip link, navigation, the dataset switcher, and the page the hash route
// names, showing the dataset chosen.
import { useEffect } from "react";
import { api } from "./api/client";
import { unwrap } from "./api/errors";
import { readApiKey } from "./api/keyStore";
import type { DatasetPublic } from "./api/types";
import { DatasetSwitcher } from "./components/DatasetSwitcher";
import { Loading } from "./components/States";
import { Models } from "./pages/Models";
import { Overview } from "./pages/Overview";
import { SeriesDetail } from "./pages/SeriesDetail";
import { SeriesList } from "./pages/SeriesList";
import { Settings } from "./pages/Settings";
import {
  chooseDataset,
  datasetInHash,
  rememberDataset,
  rememberedDataset,
  withDataset,
} from "./lib/dataset";
import { datasetSwitchHref, type Route, useRoute } from "./lib/router";
import { useAsync } from "./lib/useAsync";

const NAV: { href: string; label: string; pages: Route["page"][] }[] = [
  { href: "#/", label: "Overview", pages: ["overview"] },
  { href: "#/series", label: "Series", pages: ["series", "seriesDetail"] },
  { href: "#/models", label: "Models", pages: ["models"] },
  { href: "#/settings", label: "Settings", pages: ["settings"] },
];

function CurrentPage({ route, dataset }: { route: Route; dataset: string }) {
  switch (route.page) {
    case "overview":
      return <Overview key={dataset} dataset={dataset} />;
    case "series":
      return (
        <SeriesList
          key={`${dataset}:${route.query}:${route.offset}`}
          dataset={dataset}
          query={route.query}
          offset={route.offset}
        />
      );
    case "seriesDetail":
      // A series is of one dataset: the page shows its own, whatever the switcher says.
      return <SeriesDetail key={route.seriesId} seriesId={route.seriesId} />;
    case "models":
      return <Models key={dataset} dataset={dataset} />;
    case "settings":
      return <Settings />;
    case "notFound":
      return (
        <p className="state state-error" role="alert">
          There is no page at "{route.path}". Use the navigation above.
        </p>
      );
  }
}

async function loadDatasets(key: string | null): Promise<DatasetPublic[] | undefined> {
  if (!key) return undefined; // nothing to list without a key
  return unwrap(await api.GET("/api/v1/datasets"));
}

export function App() {
  const route = useRoute();
  const key = readApiKey();
  const needsKey = route.page !== "settings" && !key;
  // Listed again when the key changes (read on each render: every navigation renders).
  const datasets = useAsync(() => loadDatasets(key), [key]);
  const wanted = datasetInHash(window.location.hash);
  const dataset = chooseDataset(wanted, rememberedDataset(), datasets.data);
  useEffect(() => {
    if (datasets.data?.some((listed) => listed.name === dataset)) rememberDataset(dataset);
  }, [datasets.data, dataset]);
  return (
    <>
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          // The hash holds the route, so move focus instead of following the link.
          event.preventDefault();
          document.getElementById("main")?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Quantis</span>
        <nav aria-label="Main">
          {NAV.map((item) => (
            <a
              key={item.href}
              href={withDataset(item.href, dataset)}
              aria-current={item.pages.includes(route.page) ? "page" : undefined}
            >
              {item.label}
            </a>
          ))}
        </nav>
        <DatasetSwitcher
          datasets={datasets.data}
          selected={dataset}
          onSwitch={(name) => {
            window.location.hash = datasetSwitchHref(route, name);
          }}
        />
      </header>
      <main id="main" tabIndex={-1}>
        {needsKey && (
          <p className="banner" role="note">
            No API key yet: most figures need one.{" "}
            <a href="#/settings">Enter your key in Settings</a>.
          </p>
        )}
        {datasets.loading && route.page !== "settings" ? (
          <Loading what="the datasets" />
        ) : (
          <CurrentPage route={route} dataset={dataset} />
        )}
      </main>
    </>
  );
}
