import { render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { answer, queriesOf, resetFakeApi } from "../test/fakeApi";
import { PAGE_SIZE, SeriesList } from "./SeriesList";

vi.mock("../api/client", () => import("../test/fakeApi"));

const series = (id: number, name: string) => ({
  id,
  dataset_id: 2,
  dataset: "monthly",
  name,
  frequency: "MS",
  meta: {},
  created_at: "2026-01-01T00:00:00Z",
});

beforeEach(() => {
  resetFakeApi();
  const items = Array.from({ length: PAGE_SIZE }, (_, i) => series(i + 1, `T${i + 1}`));
  answer("GET", "/api/v1/series", { items, total: 40, limit: PAGE_SIZE, offset: 0 });
});

describe("SeriesList of one dataset", () => {
  it("lists the dataset's series and keeps the dataset in its links", async () => {
    render(<SeriesList dataset="monthly" query="T" offset={0} />);
    const link = await screen.findByRole("link", { name: "T1" });
    expect(queriesOf("GET", "/api/v1/series")).toEqual([
      { dataset: "monthly", name: "T", limit: PAGE_SIZE, offset: 0 },
    ]);
    expect(link.getAttribute("href")).toBe("#/series/1?dataset=monthly");
    expect(screen.getByRole("link", { name: "Next →" }).getAttribute("href")).toBe(
      `#/series?q=T&offset=${PAGE_SIZE}&dataset=monthly`,
    );
  });
});
