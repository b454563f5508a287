import { createHash } from 'node:crypto';

/**
 * The report's only script: expand or collapse every case, and open the case
 * an address like `report.html#case-...` names. It reads no data, so nothing
 * from the target ever reaches script; the page's Content-Security-Policy
 * allows this script by its hash and no other.
 */
export const SCRIPT = `(() => {
  const cases = () => document.querySelectorAll('details.case');
  const setAll = (open) => cases().forEach((item) => { item.open = open; });
  document.getElementById('expand-all')?.addEventListener('click', () => setAll(true));
  document.getElementById('collapse-all')?.addEventListener('click', () => setAll(false));
  const openNamed = () => {
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id ? document.getElementById(id) : null;
    if (target && target.tagName === 'DETAILS') {
      target.open = true;
      target.scrollIntoView();
    }
  };
  window.addEventListener('hashchange', openNamed);
  openNamed();
})();`;

/** The CSP source that allows exactly SCRIPT. */
export const SCRIPT_HASH = `'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`;
