/**
 * The dashboard's one script, an ES module from this origin (the CSP allows
 * nothing inline). Every page is complete without it; with it:
 * - the browser's time zone is kept in a cookie, so the server renders times in it;
 * - durations ("for 2 h 14 min") stay current, counted on the server's clock;
 * - the overview and installation pages follow the live stream (/live), show
 *   a note while the link is down, reconnect by themselves and catch up;
 * - the search filters as you type.
 */
const zoneCookie = 'vigil_tz'
const minuteMs = 60_000
const tickMs = 20_000
/** The server pings every 25 s; this much silence means the link is dead. */
const silenceMs = 70_000
const maxRetryMs = 30_000

/** Mirrors durationWords in api/dashboard/format.ts; a test holds the two together. */
export function durationWords(ms) {
  const total = Math.floor(Math.max(0, ms) / minuteMs)
  const days = Math.floor(total / 1440)
  const hours = Math.floor((total % 1440) / 60)
  const minutes = total % 60

  if (days > 0) return `${days} ${days === 1 ? 'day' : 'days'}${hours ? ` ${hours} h` : ''}`
  if (hours > 0) return minutes ? `${hours} h ${minutes} min` : `${hours} h`
  return minutes > 0 ? `${minutes} min` : 'under a minute'
}

function start() {
  const body = document.body
  const clock = serverClock(Number(body.dataset.now))
  const page = new Page(body, clock)

  const zoneChanged = rememberZone(body)
  page.tick()
  setInterval(() => page.tick(), tickMs)
  searchAsYouType(page)

  if (!body.dataset.live) return
  new LiveLink(body, clock, page).connect()
  // A page rendered in another zone is fetched again now that the cookie names the right one.
  if (zoneChanged) void page.refresh()
}

/** The server's clock, as told by the page and by every live message. */
function serverClock(serverNow) {
  let offset = serverNow - Date.now()
  return {
    now: () => Date.now() + offset,
    set(now) {
      offset = now - Date.now()
    },
  }
}

/** Stores the browser's zone in a cookie; true when the page was rendered in another one. */
function rememberZone(body) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone
  if (!zone) return false
  for (const field of document.querySelectorAll('[data-zone-field]')) field.value = zone

  const current = document.cookie.split('; ').find((c) => c.startsWith(`${zoneCookie}=`))
  if (current !== `${zoneCookie}=${encodeURIComponent(zone)}`) {
    const secure = location.protocol === 'https:' ? '; secure' : ''
    document.cookie =
      `${zoneCookie}=${encodeURIComponent(zone)}; path=/; max-age=31536000; ` +
      `samesite=lax${secure}`
  }
  return body.dataset.zone !== zone
}

function searchAsYouType(page) {
  const input = document.getElementById('q')
  if (!input || !input.form) return
  let timer
  input.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      const url = new URL(input.form.action)
      for (const [name, value] of new FormData(input.form)) {
        if (value) url.searchParams.set(name, value)
      }
      history.replaceState(null, '', url)
      void page.refresh()
    }, 250)
  })
}

/** What the page shows, and how it takes in news. */
class Page {
  #body
  #clock
  #refreshes = 0

  constructor(body, clock) {
    this.#body = body
    this.#clock = clock
  }

  tick() {
    const now = this.#clock.now()
    for (const el of document.querySelectorAll('[data-since]')) {
      el.textContent = durationWords(now - Number(el.dataset.since))
    }
  }

  /** Fetches this page again and swaps in its parts; a refused page is reloaded whole. */
  async refresh() {
    const mine = ++this.#refreshes
    let response
    try {
      response = await fetch(location.href, { headers: { accept: 'text/html' } })
    } catch {
      // Offline: the live note says so, and the reconnect brings the page up to date.
      return
    }
    if (!response.ok) return location.reload()
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html')
    // Only the latest answer counts when refreshes overlap (typing fast, a resync).
    if (mine !== this.#refreshes) return

    for (const part of fresh.querySelectorAll('[data-refresh][id]')) {
      document.getElementById(part.id)?.replaceWith(document.adoptNode(part))
    }
    document.title = fresh.title
    this.#clock.set(Number(fresh.body.dataset.now))
    this.tick()
  }

  /** Upserts changed overview rows where they sort, honouring the switch and the search. */
  applyRows({ counts, rows }) {
    const table = document.getElementById('installations')
    if (table) {
      const tbody = table.tBodies[0]
      const showAll = table.dataset.all === '1'
      const q = (table.dataset.q || '').trim().toLowerCase()
      for (const row of rows) {
        document.getElementById(`i-${row.slc}`)?.remove()
        if (!showAll && !row.listed) continue
        const tr = fromHtml(row.html)
        if (q && !matches(tr, row.slc, q)) continue
        insertSorted(tbody, tr, row.sort)
        tr.classList.add('changed')
      }
      document.getElementById('empty').hidden = tbody.rows.length > 0
    }
    this.showCounts(counts)
    this.tick()
  }

  showCounts(counts) {
    for (const el of document.querySelectorAll('[data-count]')) {
      el.textContent = counts[el.dataset.count].toLocaleString('en-GB')
    }
    // Red is for something to do; a zero in error is not.
    document.querySelector('.count.error')?.classList.toggle('none', counts.inError === 0)
    document.title = counts.inError ? `${counts.inError} in error · Vigil` : 'All healthy · Vigil'
  }

  replaceInstallation({ html }) {
    document.getElementById('installation')?.replaceWith(fromHtml(html))
    this.tick()
  }
}

/**
 * The live stream. The browser reconnects by itself after a network error
 * (sending the last message id, so the server sends what was missed); after a
 * refusal, or a silence longer than the pings allow, we reconnect ourselves.
 */
class LiveLink {
  #body
  #clock
  #page
  #source
  #lastId
  #retryMs = 1_000
  #watchdog

  constructor(body, clock, page) {
    this.#body = body
    this.#clock = clock
    this.#page = page
    this.#lastId = body.dataset.now
  }

  connect() {
    const params = new URLSearchParams({ since: this.#lastId })
    if (this.#body.dataset.slc) params.set('slc', this.#body.dataset.slc)
    const source = new EventSource(`/live?${params}`)
    this.#source = source

    source.addEventListener('hello', (e) => {
      this.#retryMs = 1_000
      this.#heard(e)
      this.#show('up')
    })
    source.addEventListener('rows', (e) => this.#page.applyRows(this.#heard(e)))
    source.addEventListener('installation', (e) => this.#page.replaceInstallation(this.#heard(e)))
    source.addEventListener('resync', (e) => {
      this.#heard(e)
      void this.#page.refresh()
    })
    source.addEventListener('ping', (e) => this.#heard(e))
    source.addEventListener('error', () => {
      this.#show('down')
      if (source.readyState === EventSource.CLOSED) this.#retryLater()
    })
    this.#armWatchdog()
  }

  #heard(event) {
    const message = JSON.parse(event.data)
    this.#clock.set(message.now)
    if (event.lastEventId) this.#lastId = event.lastEventId
    this.#armWatchdog()
    return message
  }

  #retryLater() {
    clearTimeout(this.#watchdog)
    this.#source.close()
    // A refused stream may mean the session ended: a refresh shows the sign-in page then.
    void this.#page.refresh()
    setTimeout(() => this.connect(), this.#retryMs)
    this.#retryMs = Math.min(this.#retryMs * 2, maxRetryMs)
  }

  #armWatchdog() {
    clearTimeout(this.#watchdog)
    this.#watchdog = setTimeout(() => {
      this.#show('down')
      this.#retryLater()
    }, silenceMs)
  }

  #show(state) {
    this.#body.dataset.link = state
    const note = document.getElementById('live-note')
    if (note) note.hidden = state === 'up'
    const pill = document.getElementById('live-pill')
    if (!pill) return
    pill.hidden = false
    pill.className = `pill ${state}`
    pill.textContent = state === 'up' ? 'Live' : 'Reconnecting…'
  }
}

function fromHtml(html) {
  const template = document.createElement('template')
  template.innerHTML = html
  return template.content.firstElementChild
}

function matches(tr, slc, q) {
  const name = tr.querySelector('.customer')?.textContent.toLowerCase() ?? ''
  return name.includes(q) || slc.toLowerCase().includes(q)
}

function insertSorted(tbody, tr, sort) {
  for (const other of tbody.rows) {
    if (other.dataset.sort > sort) return void tbody.insertBefore(tr, other)
  }
  tbody.append(tr)
}

// Last, so the classes above are defined; absent `document`, a test imports durationWords alone.
if (typeof document !== 'undefined') start()
