export default () => new Response("Home: routes are the files under routes/");
