#!/usr/bin/env node
/*
 * Fidelity check: drives the real `chipchat` Node SDK (exactly 0.7.4, pinned in package.json)
 * against the sms-invite sandbox, to prove the sandbox speaks the protocol the platform's own
 * SDK expects. It is run by tests/chipchat_fidelity.rs, which starts the sandbox in-process;
 * it can also be run by hand against a standalone sandbox (start a new one for each run: the
 * run rotates the refresh token it was given, so the printed one works only once):
 *
 *   sms-invite sandbox --token-ttl 2 --delay-scale 0 > sandbox.env &
 *   set -a; . ./sandbox.env; set +a
 *   (cd tests/chipchat && npm ci && FIDELITY_TTL_SECS=2 node fidelity.js)
 *
 * Env: SMS_INVITE_API_URL, SMS_INVITE_TOKEN, SMS_INVITE_REFRESH_TOKEN, SMS_INVITE_EMAIL (the
 * admin bot's login, as `sms-invite sandbox` prints it) and FIDELITY_TTL_SECS (the sandbox's
 * access-token lifetime; must be short, since check (e) waits for a token to expire).
 * DEBUG=chipchat:* shows what the SDK does internally.
 *
 * Prints one line per check and ends with `N passed, M failed`; exits 1 on any failure.
 */

'use strict';

const assert = require('node:assert/strict');
const ChipChat = require('chipchat');
const sdkVersion = require('chipchat/package.json').version;

// Seed data of assets/sandbox/seed.json this script relies on.
const ACME = '5f0000000000000000000010'; // acme-holding, owns Jan Jansen and Piet Pieters
const VISIBLE_ORGS = [
    '5f0000000000000000000001', '5f0000000000000000000010', '5f0000000000000000000011',
    '5f0000000000000000000012', '5f0000000000000000000020', '5f0000000000000000000030',
    '5f0000000000000000000040'
]; // all but other-tenant, which is outside the bot's organization tree
const OBJECT_ID = /^[0-9a-f]{24}$/;

// tests/chipchat_fidelity.rs looks for exactly these texts, in this order, in the sandbox's
// message store: keep both files in step.
const ARRAY_TEXTS = [1, 2, 3, 4, 5].map((i) => `chipchat-fidelity array ${i}/5`);

// A single hung request must fail its check rather than hang the whole run (the Rust side
// has a global deadline too, but then all output would be lost).
const CHECK_TIMEOUT_MS = 30000;

function requireEnv(name) {
    const value = process.env[name];
    if (!value) {
        console.error(`fidelity: environment variable ${name} is not set (see the header of ${__filename})`);
        process.exit(2);
    }
    return value;
}

if (typeof fetch !== 'function') {
    // The sandbox's inspection endpoints are read with the global fetch (Node >= 18).
    console.error(`fidelity: Node ${process.version} is too old; Node >= 18 is needed`);
    process.exit(2);
}

const API_URL = requireEnv('SMS_INVITE_API_URL').replace(/\/+$/, '');
const TOKEN = requireEnv('SMS_INVITE_TOKEN');
const REFRESH_TOKEN = requireEnv('SMS_INVITE_REFRESH_TOKEN');
const EMAIL = requireEnv('SMS_INVITE_EMAIL');
const TTL_SECS = Number(process.env.FIDELITY_TTL_SECS || 'NaN');

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// ---- the sandbox's inspection endpoints (outside /v2, no auth) --------------------------------

async function sandbox(method, path, body) {
    const res = await fetch(`${API_URL}/__sandbox/${path}`, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body)
    });
    const json = await res.json();
    assert.ok(res.ok, `sandbox ${method} /__sandbox/${path} answered ${res.status}: ${JSON.stringify(json)}`);
    return json;
}

/** The request log entries after `afterSeq` (the log is append-only with increasing seq). */
async function requestsSince(afterSeq) {
    const log = await sandbox('GET', 'requests');
    return log.filter((r) => r.seq > afterSeq);
}

/**
 * Like requestsSince, without the SDK's refresh dance (a 401, POST /v2/auth/token): with a
 * token TTL of seconds, a refresh can fall inside any check, and is tested on its own in (e).
 */
async function apiRequestsSince(afterSeq) {
    return (await requestsSince(afterSeq)).filter((r) => r.status !== 401 && r.route !== 'auth/token');
}

async function lastSeq() {
    const log = await sandbox('GET', 'requests');
    return log.reduce((max, r) => Math.max(max, r.seq), -1);
}

const describe = (rs) => rs.map((r) => `${r.method} ${r.path}${r.query ? `?${r.query}` : ''} -> ${r.status}`).join('\n      ');

function newClient(opts) {
    // Exactly how a user builds the SDK client (see lib/chipchat.js constructor options).
    return new ChipChat({ host: API_URL, ...opts });
}

function queryParams(entry) {
    return new URLSearchParams(entry.query || '');
}

function timeout(ms, what) {
    let timer;
    const p = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    });
    return { p, cancel: () => clearTimeout(timer) };
}

// ---- the checks --------------------------------------------------------------------------------

const bot = newClient({ token: TOKEN, refreshToken: REFRESH_TOKEN, email: EMAIL });
const state = {}; // what later checks need from earlier ones

const checks = [];
const check = (name, fn) => checks.push({ name, fn });

check('sdk: chipchat 0.7.4 is the version under test and accepted the tokens', async () => {
    assert.equal(sdkVersion, '0.7.4', `node_modules holds chipchat ${sdkVersion}; run npm ci in tests/chipchat`);
    assert.equal(bot.host, API_URL);
    // The constructor drops the refresh token silently unless the token's scope is bot/admin.
    assert.equal(bot.auth.refreshToken, REFRESH_TOKEN, 'the SDK did not keep the refresh token (token scope lacks bot|admin?)');
    assert.match(bot.auth.user || '', OBJECT_ID, 'the token has no _id claim');
});

check('a. organizations.list in pagination mode (limit 2) follows Link rel=next to all 7 orgs', async () => {
    const before = await lastSeq();
    const orgs = await bot.organizations.list({ pagination: { limit: 2 } });
    assert.ok(Array.isArray(orgs), `expected an array, got ${JSON.stringify(orgs)}`);
    const ids = orgs.map((o) => o.id);
    assert.equal(new Set(ids).size, ids.length, `duplicate organizations across pages: ${ids}`);
    assert.deepEqual([...ids].sort(), [...VISIBLE_ORGS].sort(), 'paginated organizations differ from the seeded visible ones');
    const gets = (await apiRequestsSince(before)).filter((r) => r.method === 'GET' && r.path === '/v2/organizations');
    const pages = gets.map((r) => [queryParams(r).get('limit'), queryParams(r).get('offset'), r.status]);
    assert.deepEqual(pages, [['2', '0', 200], ['2', '2', 200], ['2', '4', 200], ['2', '6', 200]],
        `expected 4 pages of 2, saw:\n      ${describe(gets)}`);
    state.orgOrder = ids;
});

check('a. organizations.list plain: one bare array, X-Total-Count exposed as body.headers.totalCount', async () => {
    const all = await bot.organizations.list();
    assert.ok(Array.isArray(all));
    assert.equal(all.length, 7, `got ${all.length} organizations`);
    assert.equal(all.headers && all.headers.totalCount, '7', `body.headers = ${JSON.stringify(all.headers)}`);
    if (state.orgOrder) {
        assert.deepEqual(all.map((o) => o.id), state.orgOrder, 'paginated and plain lists disagree on order');
    }
    // A plain list with a limit is one page; the total still counts everything.
    const page = await bot.organizations.list({ limit: 3, offset: 3 });
    assert.deepEqual(page.map((o) => o.id), all.slice(3, 6).map((o) => o.id));
    assert.equal(page.headers.totalCount, '7');
});

check('b. contacts.list by profile.telephone (+ sent as %2B) finds exactly Jan Jansen', async () => {
    const before = await lastSeq();
    const found = await bot.contacts.list({ organization: ACME, 'profile.telephone': '+31612345678' });
    assert.equal(found.length, 1, `expected 1 contact, got ${JSON.stringify(found)}`);
    assert.equal(found[0].profile.givenName, 'Jan');
    assert.equal(found[0].profile.familyName, 'Jansen');
    assert.match(found[0].conversation, OBJECT_ID, 'a contact carries its conversation id');
    const [req] = (await apiRequestsSince(before)).filter((r) => r.path === '/v2/contacts');
    assert.ok(req && req.query.includes('profile.telephone=%2B31612345678'), `the SDK sent: ${req && req.query}`);
    // The nested-object spelling flattens to the same dot path.
    const nested = await bot.contacts.list({ organization: ACME, profile: { telephone: '+31612345678' } });
    assert.deepEqual(nested.map((c) => c.id), [found[0].id]);
});

check('b. contacts.list with an array value ([a,b] in-list) matches either spelling', async () => {
    const before = await lastSeq();
    // Piet is stored in national format: the E.164 spelling misses, the in-list must still hit.
    const piet = await bot.contacts.list({ organization: ACME, 'profile.telephone': ['+31612345679', '0612345679'] });
    assert.deepEqual(piet.map((c) => `${c.profile.givenName} ${c.profile.familyName}`), ['Piet Pieters']);
    const jan = await bot.contacts.list({ organization: ACME, 'profile.telephone': ['0612345678', '+31612345678'] });
    assert.deepEqual(jan.map((c) => c.profile.givenName), ['Jan']);
    const [req] = (await apiRequestsSince(before)).filter((r) => r.path === '/v2/contacts');
    assert.ok(req && req.query.includes('profile.telephone=[%2B31612345679,0612345679]'), `the SDK sent: ${req && req.query}`);
    const none = await bot.contacts.list({ organization: ACME, 'profile.telephone': ['+31600000000', '0600000000'] });
    assert.equal(none.length, 0);
});

check('b. paginated filtered lists: got re-encodes the query (%5B %2C %7E) and next links keep the filters', async () => {
    // Pagination mode sends the query through URLSearchParams, so operators arrive
    // percent-encoded, unlike plain mode; every page must still apply the same filters.
    const before = await lastSeq();
    const inList = await bot.contacts.list({
        organization: ACME,
        'profile.telephone': ['+31612345678', '0612345679', '+31612345680'],
        pagination: { limit: 1 }
    });
    assert.deepEqual(inList.map((c) => c.profile.givenName), ['Jan', 'Piet', 'Mark', 'Eva']);
    const contains = await bot.contacts.list({ organization: ACME, 'profile.familyName': '~viss', pagination: { limit: 1 } });
    assert.deepEqual(contains.map((c) => c.profile.givenName), ['Mark', 'Eva']);
    const pages = (await apiRequestsSince(before)).filter((r) => r.path === '/v2/contacts');
    assert.equal(pages.length, 6, `expected 4 + 2 pages:\n      ${describe(pages)}`);
    assert.ok(pages[0].query.includes('profile.telephone=%5B%2B31612345678%2C0612345679%2C%2B31612345680%5D'),
        `first page query: ${pages[0].query}`);
});

check('c. conversations.create (type contact, new number) creates contact + conversation (201)', async () => {
    // 9xxx never collides with the seeded +3161234567x numbers.
    const telephone = `+3161234${9000 + Math.floor(Math.random() * 1000)}`;
    const body = {
        organization: ACME,
        type: 'contact',
        contact: { profile: { telephone, givenName: 'Fidelity' } },
        messages: [{ text: 'chipchat-fidelity create', role: 'bot', isBackchannel: true }]
    };
    const before = await lastSeq();
    const conv = await bot.conversations.create(body);
    assert.match((conv && conv.id) || '', OBJECT_ID, `no conversation id in ${JSON.stringify(conv)}`);
    assert.equal(conv.organization, ACME);
    assert.equal(conv.type, 'contact');
    const [post] = (await apiRequestsSince(before)).filter((r) => r.method === 'POST' && r.path === '/v2/conversations');
    assert.equal(post && post.status, 201, `POST /v2/conversations: ${post && post.status}`);
    const contacts = await bot.contacts.list({ organization: ACME, 'profile.telephone': telephone });
    assert.equal(contacts.length, 1, `the new contact was not found by its number ${telephone}`);
    assert.equal(contacts[0].conversation, conv.id, 'contact.conversation is not the created conversation');
    Object.assign(state, { convId: conv.id, telephone, createBody: body });
});

check('c. conversations.create again for the same number upserts into that conversation (200)', async () => {
    assert.ok(state.convId, 'needs the conversation of the previous check');
    const before = await lastSeq();
    const again = await bot.conversations.create({
        ...state.createBody,
        messages: [{ text: 'chipchat-fidelity upsert', role: 'bot', isBackchannel: true }]
    });
    assert.equal(again.id, state.convId, 'the upsert answered another conversation');
    const [post] = (await apiRequestsSince(before)).filter((r) => r.method === 'POST' && r.path === '/v2/conversations');
    assert.equal(post && post.status, 200, `POST /v2/conversations: ${post && post.status}`);
    const contacts = await bot.contacts.list({ organization: ACME, 'profile.telephone': state.telephone });
    assert.equal(contacts.length, 1, 'the upsert created a second contact');
    const msgs = await bot.messages.list({ conversation: state.convId });
    assert.deepEqual(msgs.map((m) => m.text), ['chipchat-fidelity create', 'chipchat-fidelity upsert']);
});

check('d. send(convId, [..]) and ctx.say([..]) post arrays that are stored in order', async () => {
    assert.ok(state.convId, 'needs the conversation of check c');
    const [first, second] = [ARRAY_TEXTS.slice(0, 3), ARRAY_TEXTS.slice(3)];
    const before = await lastSeq();
    const sent = await bot.send(state.convId, first.map((text) => ({ text, role: 'bot', isBackchannel: true })));
    assert.ok(Array.isArray(sent), `send answered ${JSON.stringify(sent)}`);
    assert.deepEqual(sent.map((m) => m.text), first);
    sent.forEach((m) => assert.match(m.id || '', OBJECT_ID));
    // The conversation context object is what webhook handlers get; its say() is send() bound.
    const ctx = await bot.conversation(state.convId);
    assert.equal(ctx.id, state.convId);
    const said = await ctx.say(second.map((text) => ({ text, role: 'bot', isBackchannel: true })));
    assert.deepEqual(said.map((m) => m.text), second);
    const posts = (await apiRequestsSince(before)).filter((r) => r.route === 'conversations/messages');
    assert.deepEqual(posts.map((r) => [r.method, r.path, r.status, Array.isArray(r.body) && r.body.length]),
        [['POST', `/v2/conversations/${state.convId}/messages`, 201, 3], ['POST', `/v2/conversations/${state.convId}/messages`, 201, 2]],
        `expected two array POSTs:\n      ${describe(posts)}`);
    const listed = await bot.messages.list({ conversation: state.convId });
    assert.deepEqual(listed.map((m) => m.text).filter((t) => ARRAY_TEXTS.includes(t)), ARRAY_TEXTS,
        'messages.list does not return the posted arrays in order');
});

/** Waits until the client's current access token has expired (by its own exp claim). */
async function outliveToken(client) {
    const { exp } = ChipChat.decodeJwt(client.auth.token) || {};
    assert.ok(Number.isFinite(exp), 'the access token has no exp claim');
    const waitMs = exp * 1000 + 1100 - Date.now(); // exp has 1 s resolution, so go past it
    assert.ok(Number.isFinite(TTL_SECS) && TTL_SECS > 0, 'FIDELITY_TTL_SECS (the sandbox token TTL) is not set');
    assert.ok(waitMs <= (TTL_SECS + 2) * 1000,
        `the token lives ${Math.round(waitMs / 1000)} s more, but FIDELITY_TTL_SECS=${TTL_SECS}: the sandbox ignored the TTL knob`);
    if (waitMs > 0) await sleep(waitMs);
}

check('e. after the access token expires, a call refreshes via POST /v2/auth/token and succeeds', async () => {
    await outliveToken(bot);
    const oldToken = bot.auth.token;
    const oldRefresh = bot.auth.refreshToken;
    let emitted = null;
    bot.once('token', (t) => { emitted = t; });
    const before = await lastSeq();
    const org = await bot.organizations.get(ACME);
    assert.equal(org && org.id, ACME, `organizations.get answered ${JSON.stringify(org)}`);
    const reqs = (await requestsSince(before)).map((r) => [r.method, r.path, r.status]);
    assert.deepEqual(reqs, [
        ['GET', `/v2/organizations/${ACME}`, 401],
        ['POST', '/v2/auth/token', 201],
        ['GET', `/v2/organizations/${ACME}`, 200]
    ], 'expected 401, refresh, replay');
    assert.notEqual(bot.auth.token, oldToken, 'the SDK did not adopt the new access token');
    assert.equal(emitted, bot.auth.token, "the SDK did not emit 'token' with the new token");
    assert.ok(bot.auth.refreshToken && bot.auth.refreshToken !== oldRefresh, 'the rotated refresh token was not adopted');
});

check('e. a token expiring in the middle of a paginated list is refreshed and the list completes', async () => {
    // Right after the refresh above the token is fresh; one org per page with a backoff such
    // that the 7 pages span more than the TTL makes it expire between two pages.
    assert.ok(Number.isFinite(TTL_SECS) && TTL_SECS > 0, 'FIDELITY_TTL_SECS (the sandbox token TTL) is not set');
    const backoff = Math.ceil(((TTL_SECS + 1) * 1000) / 5);
    const before = await lastSeq();
    const orgs = await bot.organizations.list({ pagination: { limit: 1, backoff } });
    const seen = await requestsSince(before);
    assert.deepEqual(orgs.map((o) => o.id).sort(), [...VISIBLE_ORGS].sort(), `pages:\n      ${describe(seen)}`);
    // Depending on where the second boundary falls, the refreshed token can expire again
    // before the last page; each expiry must cost exactly one successful refresh.
    const refreshes = seen.filter((r) => r.route === 'auth/token');
    const expired = seen.filter((r) => r.status === 401);
    assert.ok(refreshes.length >= 1 && refreshes.every((r) => r.status === 201),
        `expected successful refreshes with the rotated refresh token:\n      ${describe(seen)}`);
    assert.equal(expired.length, refreshes.length, `a 401 without its refresh, or a failed replay:\n      ${describe(seen)}`);
    assert.ok(queryParams(expired[0]).get('offset') !== '0',
        `the token did not expire after the first page, so this proves nothing:\n      ${describe(seen)}`);
});

async function expectBoundedRefreshFailure(label, refreshToken) {
    const { token } = await sandbox('POST', 'tokens', { ttl: -10 });
    const client = newClient({ token, refreshToken, email: EMAIL });
    assert.equal(client.auth.refreshToken, refreshToken);
    const before = await lastSeq();
    const guard = timeout(10000, `${label}: organizations.get with a bad refresh token`);
    let error = null;
    try {
        await Promise.race([client.organizations.get(ACME), guard.p]);
    } catch (e) {
        error = e;
    } finally {
        guard.cancel();
    }
    const after = await requestsSince(before);
    const refreshes = after.filter((r) => r.path === '/v2/auth/token');
    assert.ok(error, `${label}: the call succeeded although both tokens are bad`);
    assert.ok(!/did not finish/.test(error.message), `${label}: ${error.message} (refresh loop?):\n      ${describe(after)}`);
    assert.equal(error.statusCode, 401, `${label}: expected a 401 error, got ${error.statusCode}: ${error.message}`);
    assert.equal(refreshes.length, 1, `${label}: expected exactly one refresh attempt:\n      ${describe(after)}`);
    assert.equal(refreshes[0].status, 401, `${label}: refresh answered ${refreshes[0].status}`);
    assert.equal(after.length, 2, `${label}: expected GET 401 + one refresh, no replay:\n      ${describe(after)}`);
}

check('f. expired token + bogus refresh token fails with 401 after one refresh attempt (no loop)', async () => {
    await expectBoundedRefreshFailure('garbage refresh token', 'bogus-refresh-token');
    // A JWT-shaped refresh token with a wrong signature: the sandbox must not answer it with
    // a message the SDK treats as "refresh again" (jwt expired|invalid signature|invalid token).
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const forged = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({
        _id: bot.auth.user, organization: bot.auth.organization, scope: 'bot admin',
        grant_type: 'refresh_token', iat: 1, exp: 4102444800
    })}.${Buffer.from('not the signature').toString('base64url')}`;
    await expectBoundedRefreshFailure('forged refresh token', forged);
});

// ---- runner ------------------------------------------------------------------------------------

async function main() {
    console.log(`chipchat ${sdkVersion} against ${API_URL} (token TTL ${TTL_SECS} s)`);
    let passed = 0;
    let failed = 0;
    for (const { name, fn } of checks) {
        const started = Date.now();
        const guard = timeout(CHECK_TIMEOUT_MS, 'the check');
        try {
            await Promise.race([fn(), guard.p]);
            passed += 1;
            console.log(`ok   ${name} (${Date.now() - started} ms)`);
        } catch (e) {
            failed += 1;
            console.log(`FAIL ${name}`);
            const detail = e instanceof assert.AssertionError ? e.message : (e && e.stack) || String(e);
            const extra = e && e.statusCode ? ` [statusCode ${e.statusCode}]` : '';
            console.log(`     ${detail.split('\n').join('\n     ')}${extra}`);
        } finally {
            guard.cancel();
        }
    }
    console.log(`${passed} passed, ${failed} failed`);
    // Exit outright: a check that timed out (say, a refresh loop) may still have requests in
    // flight that would keep the process alive.
    process.exit(failed === 0 ? 0 : 1);
}

main().catch((e) => {
    console.error('fidelity: runner crashed:', e);
    process.exit(1);
});
