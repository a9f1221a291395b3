// The dataset every view shows: a choice among those the key may see, with each one's
// frequency, horizon and size.
import type { DatasetPublic } from "../api/types";
import { describeDataset } from "../lib/dataset";

interface Props {
  datasets: DatasetPublic[] | undefined;
  selected: string;
  onSwitch: (name: string) => void;
}

export function DatasetSwitcher({ datasets, selected, onSwitch }: Props) {
  if (!datasets || datasets.length === 0) {
    // Not listed (no key yet, or refused): the views still say what they show.
    return (
      <p className="dataset-switch" data-testid="dataset-shown">
        Dataset: <strong>{selected}</strong>
      </p>
    );
  }
  return (
    <div className="dataset-switch">
      <label htmlFor="dataset-switch">Dataset</label>
      <select
        id="dataset-switch"
        value={selected}
        onChange={(event) => onSwitch(event.target.value)}
      >
        {datasets.map((dataset) => (
          <option key={dataset.name} value={dataset.name}>
            {describeDataset(dataset)}
          </option>
        ))}
      </select>
    </div>
  );
}
