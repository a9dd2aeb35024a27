/** The sample's one page: a chat room, with the few lines of browser code realtime needs. */
export function chatPage(room: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>nestjs-realtime chat: ${room}</title>
    <style>
      body { font: 16px system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; }
      #messages { list-style: none; padding: 0; min-height: 10rem; border: 1px solid #ccc; padding: .5rem; }
      #state { color: #666; font-size: .9em; }
    </style>
  </head>
  <body>
    <h1>Room: ${room}</h1>
    <p id="state">connecting…</p>
    <ul id="messages"></ul>
    <form id="send"><input id="text" autocomplete="off" placeholder="Say something" /> <button>Send</button></form>
    <script>
      // The page render subscribed this view to the room; the socket just has to open.
      const id = document.body.dataset.socketConnectionId;
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      const socket = new WebSocket(scheme + '://' + location.host + '/?socket_connection_id=' + encodeURIComponent(id));
      socket.onopen = () => (document.getElementById('state').textContent = 'connected');
      socket.onclose = () => (document.getElementById('state').textContent = 'disconnected (reload the page)');
      socket.onmessage = (event) => {
        const frame = JSON.parse(event.data);
        if (!frame.channel) return;
        const item = document.createElement('li');
        item.textContent = frame.payload.text;
        document.getElementById('messages').append(item);
      };
      document.getElementById('send').onsubmit = async (event) => {
        event.preventDefault();
        const input = document.getElementById('text');
        await fetch('/rooms/${room}/messages', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: input.value }),
        });
        input.value = '';
      };
    </script>
  </body>
</html>`;
}
