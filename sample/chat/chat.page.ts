import { escapeHtml, htmlPage } from '../layout';
import { LISTED_ROOMS } from './rooms';

const STYLE = `
  #messages { list-style: none; margin: 0; padding: .75rem 1rem; height: 22rem; overflow-y: auto; }
  #messages li { padding: .3rem 0; display: flex; gap: .5rem; align-items: baseline; }
  #messages li strong { color: var(--accent); white-space: nowrap; }
  #messages li.mine strong { color: var(--ok); }
  #messages li .text { flex: 1; overflow-wrap: anywhere; }
  #messages li time { color: var(--muted); font-size: .8rem; }
  #messages li.empty { color: var(--muted); font-style: italic; }
  .here { margin: 0; padding: .5rem 1rem 0; color: var(--muted); font-size: .9rem; min-height: 1.9rem; }
  .typing { margin: 0; padding: 0 1rem .5rem; height: 1.6rem; color: var(--muted); font-style: italic; font-size: .9rem; }
  form { display: flex; gap: .5rem; padding: .5rem; margin-top: .75rem; }
  form input { font: inherit; padding: .4rem .6rem; border: 1px solid var(--line); border-radius: .35rem; }
  #name { width: 9rem; }
  #text { flex: 1; }
  form button { font: inherit; padding: .4rem 1rem; border: 0; border-radius: .35rem; background: var(--accent); color: #fff; cursor: pointer; }
  form button:disabled { opacity: .6; }
  .errors { color: #b91c1c; margin: .4rem 0 0; padding-left: 1.2rem; font-size: .9rem; }
`;

// Runs in the page. Plain JavaScript (no build step); texts go into the DOM with
// textContent only, so nothing a user posts is ever parsed as HTML.
const SCRIPT = `
(function () {
  const room = document.body.dataset.room;
  const me = document.body.dataset.user;
  const $ = (id) => document.getElementById(id);
  const messages = $('messages'), typing = $('typing'), errors = $('errors');
  const form = $('composer'), nameInput = $('name'), textInput = $('text'), sendButton = $('send');

  // A nickname per browser, kept in localStorage.
  const NAME_KEY = 'nestjs-realtime-sample:name';
  let name = localStorage.getItem(NAME_KEY) || 'guest-' + (1000 + Math.floor(Math.random() * 9000));
  localStorage.setItem(NAME_KEY, name);
  nameInput.value = name;
  nameInput.addEventListener('input', () => {
    const next = nameInput.value.trim();
    if (next.length < 1 || next.length > 32) return;
    name = next;
    localStorage.setItem(NAME_KEY, name);
  });
  nameInput.addEventListener('change', () => { nameInput.value = name; });

  // The page render subscribed this view to chat:<room>, typing:<room> and clock.
  const rt = Realtime.connect();
  watchConnection(rt);

  rt.on('clock', ({ now }) => {
    $('clock').dateTime = now;
    $('clock').textContent = new Date(now).toLocaleTimeString();
  });

  // Who is here (option presence: ['chat:*']): the list on every open, then joins and leaves.
  const here = new Set();
  const showHere = () => {
    const names = Array.from(here, (user) => (user === me ? user + ' (you)' : user));
    $('here').textContent = names.length === 0 ? '' : 'Here now: ' + names.join(', ');
  };
  rt.onState((state) => {
    if (state !== 'open') return;
    rt.presence('chat:' + room).then((users) => {
      here.clear();
      for (const { user } of users) here.add(user);
      showHere();
    }, () => {});
  });
  rt.onPresence('chat:' + room, ({ type, user }) => {
    if (type === 'join') here.add(user);
    else here.delete(user);
    showHere();
  });

  const typers = new Map(); // name -> timer that forgets them
  const showTypers = () => {
    const names = Array.from(typers.keys());
    typing.textContent =
      names.length === 0 ? '' : names.join(', ') + (names.length === 1 ? ' is typing…' : ' are typing…');
  };
  const forgetTyper = (who) => {
    if (!typers.has(who)) return;
    clearTimeout(typers.get(who));
    typers.delete(who);
    showTypers();
  };
  rt.on('typing:' + room, ({ name: who }) => {
    if (who === name) return;
    clearTimeout(typers.get(who));
    typers.set(who, setTimeout(() => forgetTyper(who), 3000));
    showTypers();
  });

  rt.on('chat:' + room, (message) => {
    const item = document.createElement('li');
    if (message.name === name) item.className = 'mine';
    const who = document.createElement('strong');
    who.textContent = message.name;
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = message.text;
    const at = document.createElement('time');
    at.dateTime = message.at;
    at.textContent = new Date(message.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    item.append(who, text, at);
    $('empty')?.remove();
    messages.append(item);
    messages.scrollTop = messages.scrollHeight;
    forgetTyper(message.name);
  });

  // "is typing" at most once a second while the user types.
  let typedAt = 0;
  textInput.addEventListener('input', () => {
    if (!textInput.value.trim() || rt.state !== 'open' || Date.now() - typedAt < 1000) return;
    typedAt = Date.now();
    rt.send('chat:typing', { room, name }).catch(() => {});
  });

  const showErrors = (list) => {
    errors.replaceChildren(...list.map((text) => {
      const item = document.createElement('li');
      item.textContent = text;
      return item;
    }));
  };

  // Posting goes over the socket: call-route runs the HTTP route (ValidationPipe
  // included) in the server and replies with its response.
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    sendButton.disabled = true;
    try {
      const reply = await rt.call('POST', '/rooms/' + room + '/messages', { name, text: textInput.value });
      if (reply.status === 202) {
        textInput.value = '';
        typedAt = 0;
        showErrors([]);
      } else {
        const problem = reply.body && reply.body.message;
        showErrors(Array.isArray(problem) ? problem : [problem || 'the server answered ' + reply.status]);
      }
    } catch (error) {
      showErrors([error.code === 'not_open' ? 'not connected: try again in a moment' : error.message]);
    } finally {
      sendButton.disabled = false;
      textInput.focus();
    }
  });
})();
`;

/** The page of one room: who is here, messages, who is typing, the clock, the connection state. */
export function chatPage(room: string, user: string): string {
  const links = LISTED_ROOMS.filter((other) => other !== room)
    .slice(0, 2)
    .map((other) => `<a href="/rooms/${other}">#${other}</a>`)
    .join(' ');
  const name = escapeHtml(room);
  return htmlPage({
    title: `#${room} · nestjs-realtime chat`,
    bodyAttributes: `data-room="${name}" data-user="${escapeHtml(user)}"`,
    style: STYLE,
    body: `
      <header>
        <h1>#${name} <small>nestjs-realtime chat</small></h1>
        <span id="state" class="state" data-state="connecting">connecting</span>
        <time id="clock" class="clock">--:--:--</time>
      </header>
      <nav>Rooms: ${links} · <a href="/stats">stats</a></nav>
      <section class="panel">
        <p id="here" class="here" aria-live="polite"></p>
        <ul id="messages" aria-live="polite"><li id="empty" class="empty">No messages yet. Say hello!</li></ul>
        <p id="typing" class="typing" aria-live="polite"></p>
      </section>
      <form id="composer" class="panel" autocomplete="off">
        <input id="name" aria-label="Your name" autocomplete="nickname" />
        <input id="text" aria-label="Message" placeholder="Message #${name}" autofocus />
        <button id="send">Send</button>
      </form>
      <ul id="errors" class="errors" role="alert"></ul>`,
    script: SCRIPT,
  });
}
