// The page frame: skip link, navigation, and the page the hash route names.
import { readApiKey } from "./api/keyStore";
import { Models } from "./pages/Models";
import { Overview } from "./pages/Overview";
import { SeriesDetail } from "./pages/SeriesDetail";
import { SeriesList } from "./pages/SeriesList";
import { Settings } from "./pages/Settings";
import { type Route, useRoute } from "./lib/router";

const NAV: { href: string; label: string; pages: Route["page"][] }[] = [
  { href: "#/", label: "Overview", pages: ["overview"] },
  { href: "#/series", label: "Series", pages: ["series", "seriesDetail"] },
  { href: "#/models", label: "Models", pages: ["models"] },
  { href: "#/settings", label: "Settings", pages: ["settings"] },
];

function CurrentPage({ route }: { route: Route }) {
  switch (route.page) {
    case "overview":
      return <Overview />;
    case "series":
      return (
        <SeriesList
          key={`${route.query}:${route.offset}`}
          query={route.query}
          offset={route.offset}
        />
      );
    case "seriesDetail":
      return <SeriesDetail key={route.seriesId} seriesId={route.seriesId} />;
    case "models":
      return <Models />;
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

export function App() {
  const route = useRoute();
  const needsKey = route.page !== "settings" && !readApiKey();
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
              href={item.href}
              aria-current={item.pages.includes(route.page) ? "page" : undefined}
            >
              {item.label}
            </a>
          ))}
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {needsKey && (
          <p className="banner" role="note">
            No API key yet: most figures need one.{" "}
            <a href="#/settings">Enter your key in Settings</a>.
          </p>
        )}
        <CurrentPage route={route} />
      </main>
    </>
  );
}
