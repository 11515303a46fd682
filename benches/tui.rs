//! Responsiveness and memory of the TUI with large contact lists, measured with the library's own
//! `update` and `view` on ratatui's `TestBackend` (no real terminal).
//!
//! (a) first frame in demo conditions: sandbox start, the sign-in client the runtime builds
//!     before its first draw, and model construction + the first `view`;
//! (b) one frame of the contacts screen with 100,000 rows at 120x40;
//! (c) one filter keystroke over 100,000 rows: `update` with the key + the following draw;
//! (d) importing a 100,000-row CSV of Dutch mobile numbers with `import_csv_bytes`;
//! (e) peak RSS (VmHWM) of (b)-(d);
//! (f) the confirm screen with 100,000 selected, reached as the operator does (`r` on the
//!     imported list): the process's peak RSS while it opens;
//! (g) one frame of the confirm screen (every row looked up, 2% within the cooldown) and of
//!     the sending screen (half sent, 1% failed), 100,000 rows each.
//!
//! Prints the median of N runs next to each goal, plus a breakdown of where the time goes.
//! A plain binary (no Criterion): the goals are absolute budgets, and the whole bench has to
//! stay under a minute on two shared cores. Run with `cargo bench --bench tui`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sms_invite::api::models::Organization;
use sms_invite::api::{Claims, Client, ClientConfig, Credentials, Secret};
use sms_invite::invite::contact::{Contact, Details};
use sms_invite::invite::cooldown::LastInvite;
use sms_invite::invite::events::State;
use sms_invite::invite::import::import_csv_bytes;
use sms_invite::invite::phone::{NumberKind, PhoneNumber};
use sms_invite::invite::template::{DEFAULT_TEMPLATE_TOML, Template};
use sms_invite::invite::verdict::Found;
use sms_invite::sandbox::{Sandbox, SandboxConfig};
use sms_invite::tui::keymap::Keymap;
use sms_invite::tui::model::{Confirm, ContactRow, Lookup, Model, Screen, Sending, Source};
use sms_invite::tui::msg::Msg;
use sms_invite::tui::theme::Theme;
use sms_invite::tui::update::update;
use sms_invite::tui::view::view;

const ROWS: usize = 100_000;
const FIRST_FRAME_RUNS: usize = 15;
const FRAME_RUNS: usize = 101;
/// Rounds of typing "jansen" and deleting it again (12 keystrokes each).
const FILTER_ROUNDS: usize = 8;
const IMPORT_RUNS: usize = 7;

const GIVEN: [&str; 24] = [
    "Jan", "Piet", "Kees", "Anna", "Sanne", "Lotte", "Daan", "Sem", "Emma", "Julia", "Noah",
    "Lucas", "Fleur", "Bram", "Thijs", "Femke", "Ruud", "Inge", "Joëlle", "Zoë", "Mohamed",
    "Fatima", "Çağla", "Sven",
];
const FAMILY: [&str; 24] = [
    "Jansen",
    "de Vries",
    "van den Berg",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "de Graaf",
    "van der Meer",
    "El Amrani",
    "Yılmaz",
];

fn main() {
    // `-- --profile filter|import`: loops one phase for ~5 s, to run under `perf record`.
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--profile") {
        profile(args.get(i + 1).map(String::as_str).unwrap_or(""));
        return;
    }
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut results = Vec::new();

    println!("sms-invite TUI bench ({ROWS} rows; median of N runs)\n");

    // (a) First frame.
    let first = rt.block_on(first_frame());
    results.push(Figure::goal(
        "(a) first frame: sandbox start + sign-in client + model + first draw",
        first.total_median,
        first.runs,
        Duration::from_millis(100),
    ));

    // (b) One frame of the contacts screen with 100k rows.
    let base_rss = rss_kb();
    reset_peak();
    let mut m = contacts_model(ROWS);
    let model_rss = rss_kb();
    let (theme, keymap) = (Theme::dark(), Keymap::default());
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    m.size = (120, 40);
    let frame = median_of(FRAME_RUNS, || {
        term.draw(|f| view(&m, &theme, &keymap, f)).expect("draw");
    });
    check_screen(&term, "imported");
    results.push(Figure::goal(
        "(b) contacts frame, 100k rows, 120x40",
        frame,
        FRAME_RUNS,
        Duration::from_millis(2),
    ));
    let nav = median_of(FRAME_RUNS, || {
        update(&mut m, key(KeyCode::Down), &keymap);
        term.draw(|f| view(&m, &theme, &keymap, f)).expect("draw");
    });
    results.push(Figure::info(
        "    (b') Down key + draw, 100k rows",
        nav,
        FRAME_RUNS,
    ));
    m.contacts.nav.selected = 0;

    // (c) Filter keystrokes over 100k rows.
    update(&mut m, key(KeyCode::Char('/')), &keymap);
    assert!(m.contacts.nav.filtering, "`/` starts the filter");
    let mut samples = Vec::new();
    for _ in 0..FILTER_ROUNDS {
        let typed = "jansen".chars().map(KeyCode::Char);
        let deleted = std::iter::repeat_n(KeyCode::Backspace, 6);
        for code in typed.chain(deleted) {
            let t = Instant::now();
            let effects = update(&mut m, key(code), &keymap);
            term.draw(|f| view(&m, &theme, &keymap, f)).expect("draw");
            samples.push(t.elapsed());
            black_box(effects);
        }
    }
    let keystroke = median(&mut samples);
    let worst = samples.iter().max().copied().unwrap_or_default();
    results.push(Figure::goal(
        "(c) filter keystroke + draw, 100k rows",
        keystroke,
        samples.len(),
        Duration::from_millis(10),
    ));
    results.push(Figure::info(
        "    (c') slowest filter keystroke + draw",
        worst,
        samples.len(),
    ));
    // Moving through a filtered list: `contacts_command` and `view` each filter again.
    update(&mut m, key(KeyCode::Esc), &keymap);
    for c in "jansen".chars() {
        update(&mut m, key(KeyCode::Char('/')), &keymap);
        update(&mut m, key(KeyCode::Char(c)), &keymap);
        update(&mut m, key(KeyCode::Enter), &keymap);
    }
    assert_eq!(m.contacts.nav.filter.value(), "jansen");
    let filtered_nav = median_of(21, || {
        update(&mut m, key(KeyCode::Down), &keymap);
        term.draw(|f| view(&m, &theme, &keymap, f)).expect("draw");
    });
    results.push(Figure::info(
        "    (c'') Down key + draw while filtered on \"jansen\"",
        filtered_nav,
        21,
    ));
    let peak_bc = peak_kb();

    // Where the frame and keystroke time goes.
    let breakdown = breakdown(&mut m, &theme, &keymap);
    drop(term);
    drop(m);

    // (d) Import 100k rows.
    let csv = dutch_csv(ROWS, 42);
    let check = import_csv_bytes(&csv, Some("NL")).expect("import");
    assert!(
        check.contacts.len() == ROWS && check.duplicates.is_empty(),
        "every generated row imports: {} of {ROWS}; first problems: {:?}",
        check.contacts.len(),
        check.errors.iter().take(3).collect::<Vec<_>>()
    );
    drop(check);
    reset_peak();
    let import = median_of(IMPORT_RUNS, || {
        black_box(import_csv_bytes(black_box(&csv), Some("NL")).expect("import"));
    });
    let peak_import = peak_kb();
    results.push(Figure::goal(
        "(d) import_csv_bytes, 100k-row CSV",
        import,
        IMPORT_RUNS,
        Duration::from_millis(500),
    ));
    // What the TUI holds right after such an import, through its own path: the file read,
    // parsed, and handed to `update` as `Msg::Imported`, which moves the rows into the model.
    reset_peak();
    let (peak_held, peak_confirm, rss_confirm) = {
        let keymap = Keymap::default();
        let report = import_csv_bytes(&csv, Some("NL")).expect("import");
        let mut m = contacts_model(0);
        let effects = update(
            &mut m,
            Msg::Imported {
                path: "contacts.csv".into(),
                result: Ok(report.into()),
            },
            &keymap,
        );
        assert_eq!(m.contacts.len(), ROWS);
        black_box((&m, effects));
        let peak_held = peak_kb();
        // (f) Every row selected, then `r`: the confirm screen for all of them.
        if m.contacts.marked_count() < ROWS {
            update(&mut m, key(KeyCode::Char('A')), &keymap);
        }
        assert_eq!(m.contacts.marked_count(), ROWS);
        let effects = update(&mut m, key(KeyCode::Char('r')), &keymap);
        assert_eq!(m.screen, Screen::Confirm);
        assert_eq!(m.confirm.targets.len(), ROWS);
        black_box(effects);
        (peak_held, peak_kb(), rss_kb())
    };
    // The TUI's side of an import (`update` with `Msg::Imported`), at smaller sizes.
    let apply = import_apply();

    // (e) Peak RSS.
    let peak = peak_bc.max(peak_import).max(peak_held);
    results.push(Figure {
        name: "(e) peak RSS of (b)-(d) (VmHWM)".into(),
        value: format!("{:.1} MB", peak as f64 / 1024.0),
        runs: String::new(),
        goal: "< 80 MB".into(),
        ok: Some(peak < 80 * 1024),
    });
    results.push(Figure {
        name: "(f) peak RSS: 100k imported, all selected, confirm screen".into(),
        value: format!("{:.1} MB", peak_confirm as f64 / 1024.0),
        runs: String::new(),
        goal: "< 100 MB".into(),
        ok: Some(peak_confirm < 100 * 1024),
    });
    for (name, d, n) in &breakdown {
        if name.starts_with("confirm frame") || name.starts_with("sending frame") {
            results.push(Figure::goal(
                &format!("(g) {name}"),
                *d,
                *n,
                Duration::from_millis(2),
            ));
        }
    }
    let mb = |kb: u64| format!("{:.1} MB", kb as f64 / 1024.0);
    let memory = [
        ("RSS before (b): runtime, first-frame runs", mb(base_rss)),
        (
            "100k-row model (contacts_model), RSS growth",
            mb(model_rss.saturating_sub(base_rss)),
        ),
        ("peak during (b)+(c)", mb(peak_bc)),
        (
            "peak during (d): CSV (5.6 MB) + import_csv_bytes",
            mb(peak_import),
        ),
        (
            "peak of a 100k-row import into the TUI (read, parse, update)",
            mb(peak_held),
        ),
        (
            "RSS on the confirm screen with those 100k selected",
            mb(rss_confirm),
        ),
        (
            "size_of ContactRow / Contact / Target / Annotation",
            format!(
                "{} / {} / {} / {} B",
                std::mem::size_of::<ContactRow>(),
                std::mem::size_of::<Contact>(),
                std::mem::size_of::<sms_invite::invite::target::Target>(),
                std::mem::size_of::<Lookup>()
            ),
        ),
    ];

    println!(
        "{:<68} {:>10} {:>5}  {:<10} result",
        "measure", "median", "N", "goal"
    );
    for r in &results {
        println!("{r}");
    }
    println!("\nfirst frame, parts (median of {} runs):", first.runs);
    for (name, d) in &first.parts {
        println!("  {name:<64} {:>10}", fmt(*d));
    }
    println!(
        "  {:<64} {:>10}",
        "first run in the process (cold), total",
        fmt(first.cold)
    );
    println!("\nmemory (VmRSS / VmHWM):");
    for (name, v) in &memory {
        println!("  {name:<64} {v:>10}");
    }
    println!(
        "\nTUI side of an import: update(Msg::Imported) into an empty contacts screen, then \
         update(Msg::Annotated) with a note per row:"
    );
    for (n, d, a) in &apply {
        println!(
            "  {:<64} {:>10}",
            format!("{n} rows: Imported / Annotated"),
            format!("{} / {}", fmt(*d), fmt(*a))
        );
    }
    if let [.., (n1, d1, a1), (n2, d2, a2)] = apply.as_slice() {
        let exp = |a: &Duration, b: &Duration| {
            (b.as_secs_f64() / a.as_secs_f64()).ln() / (*n2 as f64 / *n1 as f64).ln()
        };
        // Quadratic from the largest size is a lower bound: the growth is steeper still as the
        // rows outgrow the caches.
        let at = |d: &Duration| d.as_secs_f64() * (ROWS as f64 / *n2 as f64).powi(2);
        println!(
            "  {:<64} {:>10}",
            format!(
                "growth n^{:.1} / n^{:.1}; {ROWS} rows, quadratic lower bound",
                exp(d1, d2),
                exp(a1, a2)
            ),
            format!("{:.0} s / {:.0} s", at(d2), at(a2))
        );
    }
    println!("\nbreakdown, 100k rows (median):");
    for (name, d, n) in &breakdown {
        println!("  {name:<64} {:>10}  (N={n})", fmt(*d));
    }
    let missed = results.iter().filter(|r| r.ok == Some(false)).count();
    println!(
        "\n{} goal(s) met, {missed} missed; bench took {:.1} s",
        results.iter().filter(|r| r.ok == Some(true)).count(),
        started.elapsed().as_secs_f64()
    );
}

fn profile(phase: &str) {
    let until = Instant::now() + Duration::from_secs(5);
    let mut n = 0;
    match phase {
        "filter" => {
            let (theme, keymap) = (Theme::dark(), Keymap::default());
            let mut m = contacts_model(ROWS);
            let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
            update(&mut m, key(KeyCode::Char('/')), &keymap);
            while Instant::now() < until {
                let typed = "jansen".chars().map(KeyCode::Char);
                for code in typed.chain(std::iter::repeat_n(KeyCode::Backspace, 6)) {
                    update(&mut m, key(code), &keymap);
                    term.draw(|f| view(&m, &theme, &keymap, f)).expect("draw");
                    n += 1;
                }
            }
        }
        "import" => {
            let csv = dutch_csv(ROWS, 42);
            while Instant::now() < until {
                black_box(import_csv_bytes(&csv, Some("NL")).expect("import"));
                n += 1;
            }
        }
        other => {
            eprintln!("--profile takes filter or import, not {other:?}");
            std::process::exit(2);
        }
    }
    println!("{phase}: {n} iterations");
}

struct FirstFrame {
    runs: usize,
    total_median: Duration,
    cold: Duration,
    parts: Vec<(&'static str, Duration)>,
}

/// What `sms-invite --demo` does before its first frame: start the sandbox, build the sign-in
/// client (`app::Runtime::sign_in` runs before the first draw), build the model, draw.
async fn first_frame() -> FirstFrame {
    let (mut sandbox, mut client, mut model, mut total) = (vec![], vec![], vec![], vec![]);
    for _ in 0..FIRST_FRAME_RUNS {
        let t0 = Instant::now();
        let mut sc = SandboxConfig::default();
        sc.knobs.behaviour.delay_scale = 0.05;
        let sb = Sandbox::start(sc).await.expect("sandbox");
        let t1 = Instant::now();
        let login = sb.bot_login();
        let mut creds = Credentials::new(Secret::new(login.token));
        creds.refresh = Some(Secret::new(login.refresh_token));
        let claims = Claims::decode_access(creds.access.expose()).expect("claims");
        let c =
            Client::new(ClientConfig::new(sb.base_url()).expect("config"), creds).expect("client");
        black_box((claims, c));
        let t2 = Instant::now();
        let template = Template::from_toml(DEFAULT_TEMPLATE_TOML, "built-in").expect("template");
        let (theme, keymap) = (Theme::dark(), Keymap::default());
        let mut m = Model::new(template, None, chrono::Utc::now());
        let mut term = Terminal::new(TestBackend::new(100, 30)).expect("terminal");
        let size = term.size().expect("size");
        m.size = (size.width, size.height);
        m.signin.busy = true;
        term.draw(|f| view(&m, &theme, &keymap, f)).expect("draw");
        let t3 = Instant::now();
        check_screen(&term, "checking the token");
        sandbox.push(t1 - t0);
        client.push(t2 - t1);
        model.push(t3 - t2);
        total.push(t3 - t0);
        drop(sb);
    }
    let cold = total[0];
    FirstFrame {
        runs: FIRST_FRAME_RUNS,
        total_median: median(&mut total),
        cold,
        parts: vec![
            ("Sandbox::start", median(&mut sandbox)),
            (
                "sign-in client (decode claims, ClientConfig, Client::new)",
                median(&mut client),
            ),
            (
                "template + Model::new + theme/keymap + first view",
                median(&mut model),
            ),
        ],
    }
}

/// The contacts screen of Acme Holding with `n` imported rows, all selected (as after an
/// import), a third of them looked up.
fn contacts_model(n: usize) -> Model {
    let template = Template::from_toml(DEFAULT_TEMPLATE_TOML, "built-in").expect("template");
    let mut m = Model::new(template, None, chrono::Utc::now());
    let org = Organization {
        id: "5f0000000000000000000010".into(),
        name: Some("acme-holding".into()),
        display_name: Some("Acme Holding".into()),
        ..Organization::default()
    };
    m.screen = Screen::Contacts;
    m.back = vec![Screen::Orgs];
    m.org = Some(org.clone());
    m.contacts.org = Some(org);
    let mut rng = Lcg(7);
    m.contacts.reserve_exact(n);
    for i in 0..n {
        let (e164, national) = dutch_mobile(i);
        let phone = PhoneNumber {
            e164,
            national,
            region: Some("NL".into()),
            calling_code: 31,
            kind: NumberKind::Mobile,
        };
        let contact = Contact::new(
            &phone,
            Details {
                given_name: Some(GIVEN[rng.below(GIVEN.len())]),
                family_name: Some(FAMILY[rng.below(FAMILY.len())]),
                line: i + 2,
                ..Details::default()
            },
        );
        let note = Lookup {
            e164: phone.e164.clone(),
            found: (i % 3 == 0).then(|| {
                if i % 2 == 0 {
                    vec![Found {
                        contact_id: format!("5f{i:022x}"),
                        ..Found::default()
                    }]
                } else {
                    vec![]
                }
            }),
            last_invite: (i % 50 == 0).then(|| LastInvite {
                at: chrono::Utc::now() - chrono::Duration::minutes(12),
                run: "run".into(),
            }),
            ..Lookup::default()
        };
        m.contacts
            .push(ContactRow::new(contact, Source::Imported, note), true);
    }
    m
}

/// The 8 digits after 06 of a distinct, valid Dutch mobile number (06-1… to 06-5…) for
/// distinct `i` < 50,000,000.
fn mobile_digits(i: usize) -> usize {
    10_000_000 + (i * 7_919) % 50_000_000
}

fn dutch_mobile(i: usize) -> (String, String) {
    let sub = mobile_digits(i);
    (format!("+316{sub}"), format!("06{sub}"))
}

/// A CSV export as a spreadsheet would give it: mixed number spellings, some e-mail and locale
/// cells empty, UTF-8 names.
fn dutch_csv(n: usize, seed: u64) -> Vec<u8> {
    use std::fmt::Write;
    let mut rng = Lcg(seed);
    let mut s = String::with_capacity(n * 64);
    s.push_str("telephone,givenName,familyName,email,locale\n");
    for i in 0..n {
        let sub = mobile_digits(i);
        let (a, b) = (sub / 10_000, sub % 10_000);
        let given = GIVEN[rng.below(GIVEN.len())];
        let family = FAMILY[rng.below(FAMILY.len())];
        let _ = match i % 5 {
            0 => write!(s, "06 {a:04} {b:04}"),
            1 => write!(s, "+31 6 {sub}"),
            2 => write!(s, "06-{sub}"),
            3 => write!(s, "0031{}", 600_000_000 + sub),
            _ => write!(s, "(06) {sub}"),
        };
        let email = if i % 2 == 0 {
            format!(
                "{}.{}{i}@example.nl",
                given.to_lowercase(),
                family.replace(' ', "").to_lowercase()
            )
        } else {
            String::new()
        };
        let locale = if i % 3 == 0 { "nl" } else { "" };
        let _ = writeln!(s, ",{given},{family},{email},{locale}");
    }
    s.into_bytes()
}

/// Isolated costs behind (b) and (c), to see what dominates.
fn breakdown(
    m: &mut Model,
    theme: &Theme,
    keymap: &Keymap,
) -> Vec<(&'static str, Duration, usize)> {
    let mut out = Vec::new();
    m.contacts.nav.filter = Default::default();
    m.contacts.nav.filtering = false;
    m.contacts.nav.selected = 0;
    let n = FRAME_RUNS;
    out.push((
        "visible_contacts(), empty filter",
        median_of(n, || {
            black_box(m.visible_contacts());
        }),
        n,
    ));
    out.push((
        "visible_contacts(), filter \"jansen\", asked again (remembered)",
        {
            m.contacts.nav.filter = tui_input::Input::new("jansen".to_string());
            m.contacts.refresh_matches();
            median_of(21, || {
                black_box(m.visible_contacts());
            })
        },
        21,
    ));
    for f in ["jansen", "0612", "zzz", "jan jansen"] {
        m.contacts.nav.filter = tui_input::Input::new(f.to_string());
        let d = median_of(21, || {
            // Any change to the rows drops the remembered result: this is the filtering itself.
            m.contacts.row_mut(0);
            black_box(m.visible_contacts());
        });
        out.push((
            match f {
                "jansen" => "visible_contacts(), filter \"jansen\" (name match)",
                "0612" => "visible_contacts(), filter \"0612\" (number match)",
                "zzz" => "visible_contacts(), filter \"zzz\" (no match: every test runs)",
                _ => "visible_contacts(), filter \"jan jansen\" (across given and family)",
            },
            d,
            21,
        ));
    }
    m.contacts.nav.filter = Default::default();
    out.push((
        "Contact::full_name() for every row",
        median_of(21, || {
            for r in m.contacts.rows() {
                black_box(r.contact().full_name());
            }
        }),
        21,
    ));
    // The same frame with 38 rows: the cost of drawing itself, without the 100k-row work.
    let small = {
        let mut s = m.clone();
        let mut kept = 0;
        s.contacts.retain(|_| {
            kept += 1;
            kept <= 38
        });
        s
    };
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    out.push((
        "contacts frame with 38 rows (drawing alone)",
        median_of(n, || {
            term.draw(|f| view(&small, theme, keymap, f)).expect("draw");
        }),
        n,
    ));
    out.push((
        "orgs-screen frame (for comparison)",
        {
            let mut o = small.clone();
            o.screen = Screen::Orgs;
            median_of(n, || {
                term.draw(|f| view(&o, theme, keymap, f)).expect("draw");
            })
        },
        n,
    ));
    // The screens after "review" and "send" with every row selected (redrawn on every tick).
    drop(small);
    m.screen = Screen::Confirm;
    m.confirm = Confirm {
        targets: m.contacts.rows().iter().map(ContactRow::target).collect(),
        lookups: m
            .contacts
            .rows()
            .iter()
            .map(|r| {
                let l = Lookup {
                    e164: r.contact().e164().to_string(),
                    ..r.lookup().clone()
                };
                (l.e164.clone(), l)
            })
            .collect(),
        ..Confirm::default()
    };
    let now = m.clock;
    out.push((
        "Confirm::refresh, 100k targets (in update, once per change)",
        median_of(5, || m.confirm.refresh(now)),
        5,
    ));
    out.push((
        "confirm frame, 100k targets (2% with a recent invite)",
        median_of(11, || {
            term.draw(|f| view(m, theme, keymap, f)).expect("draw");
        }),
        11,
    ));
    m.screen = Screen::Sending;
    let org = m.org.clone().unwrap_or_default();
    let mut sending = Sending::new(&org, &m.confirm.targets, m.clock);
    sending.run_id = "20260101T000000-abcd".into();
    sending.edit_rows(|u| {
        u.state = Some(match u.index % 100 {
            0 => State::Failed,
            1..50 => State::Sent,
            _ => State::Queued,
        });
    });
    m.sending = Some(sending);
    m.confirm = Confirm::default();
    out.push((
        "sending frame, 100k rows half sent, 1% failed",
        median_of(11, || {
            term.draw(|f| view(m, theme, keymap, f)).expect("draw");
        }),
        11,
    ));
    m.sending = None;
    m.screen = Screen::Contacts;
    out
}

/// `update(Msg::Imported)` and then `update(Msg::Annotated)` (the lookups' answer) for imports
/// of a few sizes: what the operator waits for after the file is read and after the lookups;
/// the TUI is frozen meanwhile, as `update` runs on the event loop.
fn import_apply() -> Vec<(usize, Duration, Duration)> {
    let keymap = Keymap::default();
    [2_500, 5_000, 10_000, 20_000]
        .into_iter()
        .map(|n| {
            let report = import_csv_bytes(&dutch_csv(n, 9), Some("NL")).expect("import");
            let mut m = contacts_model(0);
            let t = Instant::now();
            let effects = update(
                &mut m,
                Msg::Imported {
                    path: "contacts.csv".into(),
                    result: Ok(report.into()),
                },
                &keymap,
            );
            let imported = t.elapsed();
            assert_eq!(m.contacts.len(), n);
            black_box(effects);
            let lookups: Vec<Lookup> = m
                .contacts
                .rows()
                .iter()
                .map(|r| Lookup {
                    e164: r.contact().e164().to_string(),
                    found: Some(vec![]),
                    ..Lookup::default()
                })
                .collect();
            let org = m.org.as_ref().map(|o| o.id.clone()).unwrap_or_default();
            let t = Instant::now();
            black_box(update(&mut m, Msg::LookedUp { org, lookups }, &keymap));
            let annotated = t.elapsed();
            assert_eq!(m.contacts.rows()[n - 1].lookup().existing(), Some(false));
            (n, imported, annotated)
        })
        .collect()
}

/// The screen drawn what was expected (a bench of a blank screen would prove nothing).
fn check_screen(term: &Terminal<TestBackend>, needle: &str) {
    let buf = term.backend().buffer();
    let text: String = buf.content().iter().map(|c| c.symbol()).collect();
    assert!(text.contains(needle), "the frame should show {needle:?}");
}

fn key(code: KeyCode) -> Msg {
    Msg::Term(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn median_of(runs: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm-up
    let mut v: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    median(&mut v)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn fmt(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}

/// `VmHWM` (peak resident set) of this process, in kB.
fn peak_kb() -> u64 {
    proc_status_kb("VmHWM:")
}

/// `VmRSS` (current resident set) of this process, in kB.
fn rss_kb() -> u64 {
    proc_status_kb("VmRSS:")
}

fn proc_status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Resets `VmHWM` to the current RSS (Linux ≥ 4.0), so each phase's peak is its own.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// A small deterministic generator; the bench needs repeatable data, not good randomness.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

struct Figure {
    name: String,
    value: String,
    runs: String,
    goal: String,
    ok: Option<bool>,
}

impl Figure {
    fn goal(name: &str, d: Duration, runs: usize, goal: Duration) -> Figure {
        Figure {
            name: name.into(),
            value: fmt(d),
            runs: runs.to_string(),
            goal: format!("< {}", fmt(goal)),
            ok: Some(d < goal),
        }
    }

    fn info(name: &str, d: Duration, runs: usize) -> Figure {
        Figure {
            name: name.into(),
            value: fmt(d),
            runs: runs.to_string(),
            goal: String::new(),
            ok: None,
        }
    }
}

impl std::fmt::Display for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verdict = match self.ok {
            Some(true) => "ok",
            Some(false) => "MISSED",
            None => "",
        };
        write!(
            f,
            "{:<68} {:>10} {:>5}  {:<10} {verdict}",
            self.name, self.value, self.runs, self.goal
        )
    }
}
