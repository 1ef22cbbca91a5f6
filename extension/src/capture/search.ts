/** @module capture/search — search terms from search forms and search boxes, the one form value Aisle reads. */
import type { Collector } from './context';
import { cleanSearchTerm } from './normalize';

const SEARCH_FORM = 'form[role=search], [role=search] form';
const TERM_INPUT = 'input[type=search], input[name=q], input[name=query], input[name=search], input[name=s]';

/** The search box of a form, if the form is a search form; never any other field. */
export function searchInput(form: HTMLFormElement): HTMLInputElement | null {
  const box = form.querySelector<HTMLInputElement>('input[type=search]');
  if (box) return box;
  if (!form.matches(SEARCH_FORM)) return null;
  return (
    form.querySelector<HTMLInputElement>(TERM_INPUT) ??
    form.querySelector<HTMLInputElement>('input[type=text], input:not([type])')
  );
}

export const searchCollector: Collector = (ctx) => {
  const emit = (input: HTMLInputElement | null) => {
    const term = input && cleanSearchTerm(input.value);
    if (term) ctx.emit('search', { search_term: term });
  };
  const onSubmit = (ev: Event) => {
    if (ev.target instanceof HTMLFormElement) emit(searchInput(ev.target));
  };
  // A search box outside any form submits with Enter and the site's own script.
  const onKey = (ev: KeyboardEvent) => {
    const t = ev.target;
    if (ev.key === 'Enter' && t instanceof HTMLInputElement && t.type === 'search' && !t.form) emit(t);
  };
  ctx.doc.addEventListener('submit', onSubmit, true);
  ctx.doc.addEventListener('keydown', onKey, true);
  return () => {
    ctx.doc.removeEventListener('submit', onSubmit, true);
    ctx.doc.removeEventListener('keydown', onKey, true);
  };
};
