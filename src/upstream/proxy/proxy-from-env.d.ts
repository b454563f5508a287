// proxy-from-env 2 ships no types: the one function the preload uses.
declare module 'proxy-from-env' {
  /** The proxy URL for `url` per HTTP(S)_PROXY, ALL_PROXY and NO_PROXY, or '' when it goes direct. */
  export function getProxyForUrl(url: string | URL): string;
}
