import { describe, expect, it } from "vitest";
import { datasetFixture } from "../test/fakeApi";
import { chooseDataset, datasetInHash, describeDataset, withDataset } from "./dataset";

const listed = [datasetFixture("default", "D", 28, 30), datasetFixture("monthly", "MS", 18, 4)];

describe("the dataset shown", () => {
  it("is the one the URL names when the key may see it", () => {
    expect(chooseDataset("monthly", "default", listed)).toBe("monthly");
  });

  it("falls back to the remembered one, then default, then the first listed", () => {
    expect(chooseDataset("gone", "monthly", listed)).toBe("monthly");
    expect(chooseDataset(null, "gone", listed)).toBe("default");
    expect(chooseDataset(null, null, [listed[1]])).toBe("monthly");
  });

  it("keeps the wanted or remembered name while no list is known", () => {
    expect(chooseDataset("monthly", null, undefined)).toBe("monthly");
    expect(chooseDataset(null, "weekly", undefined)).toBe("weekly");
    expect(chooseDataset(null, null, undefined)).toBe("default");
  });

  it("is read from and written to the hash's query, beside the other parameters", () => {
    expect(datasetInHash("#/series?q=a&dataset=monthly")).toBe("monthly");
    expect(datasetInHash("#/series?q=a")).toBeNull();
    expect(withDataset("#/series?q=a%20b", "monthly")).toBe("#/series?q=a+b&dataset=monthly");
    expect(withDataset("#/models?dataset=default", "monthly")).toBe("#/models?dataset=monthly");
    expect(withDataset("#/", "monthly")).toBe("#/?dataset=monthly");
  });

  it("is described with its frequency, horizon and size", () => {
    expect(describeDataset(listed[1])).toBe("monthly (MS, horizon 18, 4 series)");
    expect(describeDataset(datasetFixture("new", null, 7, 0))).toBe(
      "new (frequency not fixed, horizon 7, 0 series)",
    );
  });
});
