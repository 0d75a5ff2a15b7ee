// How the activity page writes titles, times and durations; shared by the history list and the continue-watching row.

/** A readable name from a title id: "midnight-harbor-s01e03" reads "Midnight Harbor S01E03". */
export function titleName(titleId) {
  return titleId
    .split(/[-_.:]+/)
    .filter(Boolean)
    .map((w) => (/^s\d+e\d+$/i.test(w) ? w.toUpperCase() : w.charAt(0).toUpperCase() + w.slice(1)))
    .join(' ') || titleId;
}

export const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function minutes(ms) {
  const m = Math.round(ms / 60000);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
}

/** The time left of an item, from its resume point to its runtime. */
export function timeLeft(item) {
  return `${minutes(Math.max(0, item.durationMs - item.positionMs))} left`;
}

/** A resume meter: role progressbar, labelled, filled to the item's rounded progress. */
export function meter(item, name) {
  const percent = Math.round(item.progress * 100);
  const bar = document.createElement('div');
  bar.className = 'meter';
  bar.setAttribute('role', 'progressbar');
  bar.setAttribute('aria-label', `Resume point of ${name}`);
  bar.setAttribute('aria-valuemin', '0');
  bar.setAttribute('aria-valuemax', '100');
  bar.setAttribute('aria-valuenow', String(percent));
  bar.setAttribute('aria-valuetext', item.completed ? `Completed, ${percent}%` : `${percent}% watched`);
  const fill = document.createElement('span');
  fill.style.width = `${percent}%`;
  bar.append(fill);
  return bar;
}
