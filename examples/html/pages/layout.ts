/** The frame around every page. Editing it reloads every page that uses it. */
export const layout = (title: string, main: string) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${title}</title>
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #222; }
    nav a { margin-right: 1rem; }
  </style>
</head>
<body>
  <nav><img src="/logo.svg" alt="" width="24" height="24"> <a href="/">Home</a><a href="/about">About</a></nav>
  <main>${main}</main>
</body>
</html>`;
