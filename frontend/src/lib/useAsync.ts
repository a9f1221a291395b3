// Loads data for a page and tracks loading / error states; `reload` asks again.
import { useCallback, useEffect, useState } from "react";

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    setLoading(true);
    setError(undefined);
    load().then(
      (value) => {
        if (current) {
          setData(value);
          setLoading(false);
        }
      },
      (failure: unknown) => {
        if (current) {
          setError(failure);
          setLoading(false);
        }
      },
    );
    return () => {
      current = false;
    };
    // `load` is a new function each render; the caller lists what it reads in `deps`.
  }, [...deps, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { data, error, loading, reload };
}
