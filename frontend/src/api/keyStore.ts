// The API key lives in sessionStorage: it survives reloads of the tab, not closing it.
const STORAGE_KEY = "quantis.apiKey";

export function readApiKey(): string | null {
  return window.sessionStorage.getItem(STORAGE_KEY);
}

export function saveApiKey(key: string): void {
  window.sessionStorage.setItem(STORAGE_KEY, key.trim());
}

export function forgetApiKey(): void {
  window.sessionStorage.removeItem(STORAGE_KEY);
}
