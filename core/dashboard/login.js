// Session login: POST /api/v1/session sets an HttpOnly cookie, then the dashboard opens.
const form = document.getElementById('login');
form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const data = Object.fromEntries(new FormData(form));
  const r = await fetch('/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
  if (r.ok) location.href = '/';
  else document.getElementById('error').textContent = (await r.json()).message;
});
