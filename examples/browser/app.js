// The example page: everything a web app needs from GracefulClient, in plain JavaScript.
import { GracefulClient, WebStorage } from '/graceful-client.js';

const $ = (id) => document.getElementById(id);
const config = await (await fetch('/demo.json')).json();
$('backend').textContent = `stream backend: ${config.backend}`;
$('ws-url').textContent = config.wsUrl;
$('channel').textContent = config.channel;

// Channel cursors and unconfirmed publishes survive a reload in localStorage.
const storage = new WebStorage(localStorage, 'graceful-demo');
const resumedFrom = storage.load()?.cursors[config.channel];
const client = new GracefulClient({ url: config.wsUrl, storage });

/** What the page saw, for people (the cards) and for the browser tests (`window.demo`). */
const seen = { subscribed: 0, offsets: [], ids: [], gaps: 0, losses: 0, duplicates: 0, confirmed: 0, drains: 0, states: [], failures: [] };
window.demo = { seen, resumedFrom, client, publish: (text) => publish(text) };

const show = () => {
  $('received').textContent = seen.offsets.length;
  $('offset').textContent = seen.offsets.at(-1) ?? '–';
  $('gaps').textContent = seen.gaps;
  $('losses').textContent = seen.losses;
  $('duplicates').textContent = seen.duplicates;
  $('confirmed').textContent = seen.confirmed;
  $('pending').textContent = client.outstanding.publishes;
  $('gaps-card').classList.toggle('bad', seen.gaps > 0);
  $('losses-card').classList.toggle('bad', seen.losses > 0);
};
const note = (list, text, limit = 200) => {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  list.prepend(item);
  while (list.children.length > limit) list.lastElementChild.remove();
};

client.state$.subscribe((state) => {
  seen.states.push({ at: performance.now(), ...state });
  $('state').textContent = state.state;
  $('state').dataset.state = state.state;
  $('state-reason').textContent = state.reason ? `(${state.reason})` : state.serverId ? `on ${state.serverId}` : '';
});

client.events$.subscribe((event) => {
  if (event.type === 'drain-notice') {
    seen.drains++;
    note($('events'), `drain notice: reconnecting within ${event.reconnectInMs} ms`);
  } else if (event.type === 'drain-marker') note($('events'), `drain marker (lastSeq ${event.lastSeq}), acked`);
  else if (event.type === 'healthy') note($('events'), `connected to ${event.serverId}`);
  else if (event.type === 'ended' && event.how === 'failure') {
    seen.failures.push({ at: performance.now(), error: event.error });
    note($('events'), `connection lost: ${event.error}`);
  } else if (event.type === 'answered' && event.kind === 'publish' && event.outcome === 'completed') {
    // Also the publishes a reload brought back from storage, which have no promise here.
    seen.confirmed++;
  } else if (event.type === 'reconnect-scheduled' && event.delayMs > 0) note($('events'), `reconnecting in ${event.delayMs} ms`);
  show();
});

client.channel(config.channel).subscribe((event) => {
  if (event.type === 'entry') {
    seen.offsets.push(event.offset);
    seen.ids.push(event.id);
    note($('entries'), `#${event.offset} ${JSON.stringify(event.payload.text ?? event.payload)}`, 50);
  } else if (event.type === 'subscribed') seen.subscribed++;
  else if (event.type === 'gap') seen.gaps += event.to - event.from + 1;
  else if (event.type === 'loss') {
    seen.losses++;
    note($('events'), `channel told a loss: after ${event.had.offset}, resuming at ${event.resumesAfter.offset}`);
  } else if (event.type === 'duplicate') seen.duplicates++;
  show();
});

client.connect();

let n = 0;
function publish(text) {
  const sent = client.publish(config.channel, { text, n: ++n, at: Date.now() });
  show();
  return sent;
}

$('publish').addEventListener('submit', (event) => {
  event.preventDefault();
  publish($('text').value).catch((err) => note($('events'), `publish refused: ${err.code}`));
  $('text').value = '';
});
let auto;
$('auto').addEventListener('change', (event) => {
  clearInterval(auto);
  if (event.target.checked) auto = setInterval(() => publish(`auto ${n + 1}`).catch(() => undefined), 200);
});
for (const action of ['roll', 'kill']) {
  $(action).addEventListener('click', () => fetch(`/${action}`, { method: 'POST' }).catch(() => undefined));
}
setInterval(async () => {
  try {
    const { pods } = await (await fetch('/demo.json')).json();
    $('pods').textContent = `pods: ${pods.map((pod) => `${pod.name.split('-').at(-1)}${pod.ready ? '' : ' (not ready)'}`).join(', ')}`;
  } catch {
    $('pods').textContent = 'pods: the demo server is not answering';
  }
}, 1000);
show();
