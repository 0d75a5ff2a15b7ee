// The "Continue watching" row above the history: the first page of GET .../continue-watching, read again with
// If-None-Match whenever the page refreshes (activity.js: every 30 s while the tab is visible, and when it becomes
// visible again). A 304 changes nothing: the row is rebuilt only when the service says the list changed.
import { callConditional } from '../shared/api.js';
import { meter, timeLeft, titleName } from './format.js';

const ROW_SIZE = 20;

export class ResumeRow {
  /**
   * @param {{ section: HTMLElement, list: HTMLElement }} ui the row's section (hidden while empty) and its list
   * @param {(e: unknown) => void} onError what to do with a failed read (the page's error handling)
   */
  constructor(ui, onError) {
    this.ui = ui;
    this.onError = onError;
    this.session = null;
    this.tag = null;
    this.reading = null;
  }

  /** Shows the row for a signed-in member. */
  start(session) {
    this.stop();
    this.session = session;
    return this.refresh();
  }

  /** Empties and hides the row (signed out). */
  stop() {
    this.session = null;
    this.tag = null;
    this.ui.list.replaceChildren();
    this.ui.section.hidden = true;
  }

  /** One conditional read (never two at once); the row changes only on a 200. */
  refresh() {
    if (!this.session) return Promise.resolve();
    if (this.reading) return this.reading;
    const session = this.session;
    const path = `/v1/members/${encodeURIComponent(session.memberId)}/continue-watching?limit=${ROW_SIZE}`;
    this.reading = callConditional(path, session.token, this.tag)
      .then((answer) => {
        if (this.session !== session || answer.notModified) return;
        this.tag = answer.etag;
        this.render(answer.body.items);
      })
      .catch((e) => {
        if (this.session === session) this.onError(e);
      })
      .finally(() => {
        this.reading = null;
      });
    return this.reading;
  }

  render(items) {
    this.ui.list.replaceChildren(...items.map(card));
    this.ui.section.hidden = items.length === 0;
  }
}

function card(item) {
  const name = titleName(item.titleId);
  const li = document.createElement('li');
  li.className = 'resume-card';
  li.dataset.titleId = item.titleId;
  const h3 = document.createElement('h3');
  h3.textContent = name;
  const label = document.createElement('p');
  label.className = 'label';
  label.textContent = `${Math.round(item.progress * 100)}% · ${timeLeft(item)}`;
  li.append(h3, meter(item, name), label);
  return li;
}
