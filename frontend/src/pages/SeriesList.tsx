// Series of the dataset shown: searchable by name, one page at a time; the search lives in
// the URL.
import { type FormEvent, useState } from "react";
import { api } from "../api/client";
import { unwrap } from "../api/errors";
import { Empty, ErrorMessage, Loading } from "../components/States";
import { withDataset } from "../lib/dataset";
import { formatDateTime } from "../lib/format";
import { seriesListHref } from "../lib/router";
import { useAsync } from "../lib/useAsync";

export const PAGE_SIZE = 25;

interface Props {
  dataset: string;
  query: string;
  offset: number;
}

export function SeriesList({ dataset, query, offset }: Props) {
  const [search, setSearch] = useState(query);
  const { data, error, loading, reload } = useAsync(
    async () =>
      unwrap(
        await api.GET("/api/v1/series", {
          params: { query: { dataset, name: query || undefined, limit: PAGE_SIZE, offset } },
        }),
      ),
    [dataset, query, offset],
  );

  function submit(event: FormEvent) {
    event.preventDefault();
    window.location.hash = seriesListHref(search.trim(), 0, dataset);
  }

  return (
    <section aria-labelledby="series-title">
      <h1 id="series-title">Series</h1>
      <form role="search" className="inline-form" onSubmit={submit}>
        <label htmlFor="series-search">Name contains</label>
        <input
          id="series-search"
          type="search"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
        <button type="submit">Search</button>
      </form>
      {loading && <Loading what="series" />}
      {error !== undefined && <ErrorMessage error={error} onRetry={reload} />}
      {data && data.items.length === 0 && (
        <Empty>
          {query
            ? `No series of ${dataset} has a name containing "${query}". Try a shorter part of the name.`
            : `No series in ${dataset} yet. POST observations to /api/v1/observations with dataset "${dataset}" and create_missing_series.`}
        </Empty>
      )}
      {data && data.items.length > 0 && (
        <>
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Frequency</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((series) => (
                  <tr key={series.id}>
                    <td>
                      <a href={withDataset(`#/series/${series.id}`, dataset)}>{series.name}</a>
                    </td>
                    <td>{series.frequency ?? "—"}</td>
                    <td>{formatDateTime(series.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager dataset={dataset} query={query} offset={offset} total={data.total} />
        </>
      )}
    </section>
  );
}

function Pager({ dataset, query, offset, total }: Props & { total: number }) {
  const last = Math.min(offset + PAGE_SIZE, total);
  return (
    <nav className="pager" aria-label="Pages of series">
      {offset > 0 ? (
        <a href={seriesListHref(query, Math.max(offset - PAGE_SIZE, 0), dataset)}>← Previous</a>
      ) : (
        <span aria-disabled="true">← Previous</span>
      )}
      <span>
        {offset + 1}–{last} of {total}
      </span>
      {last < total ? (
        <a href={seriesListHref(query, offset + PAGE_SIZE, dataset)}>Next →</a>
      ) : (
        <span aria-disabled="true">Next →</span>
      )}
    </nav>
  );
}
