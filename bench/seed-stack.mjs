// The seed article's stack, as a baseline: Express + express-session (`rolling: true`,
// `resave: false`) + connect-redis, answering an authenticated session check. Run as its own
// process by bench/run.mjs: `REDIS_URL=… PORT=… node bench/seed-stack.mjs`.
import express from "express";
import session from "express-session";
import { RedisStore } from "connect-redis";
import { createClient } from "redis";

const client = createClient({ url: process.env.REDIS_URL });
await client.connect();

const app = express();
app.use(express.json());
app.use(
  session({
    store: new RedisStore({ client, prefix: "seed:" }),
    secret: "seed-stack-benchmark-secret-0123456789",
    resave: false,
    rolling: true,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: "strict", maxAge: 7 * 24 * 3600 * 1000 },
  }),
);
app.post("/auth/login", (req, res) => {
  req.session.user = { id: "bench-user", email: "bench@example.com" };
  req.session.token = "x".repeat(128);
  res.json({ authenticated: true, user: req.session.user });
});
app.get("/auth/session", (req, res) => {
  if (!req.session.user) return res.json({ authenticated: false });
  res.json({ authenticated: true, user: req.session.user, expiresAt: req.session.cookie.expires });
});

const server = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`seed stack listening on http://127.0.0.1:${server.address().port}\n`);
});
