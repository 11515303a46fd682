//! Fault injection: each rule says which requests (method and route), what goes wrong and how
//! often. Rules come from `--fault METHOD:ROUTE:KIND:RATE` or from `POST /__sandbox/faults`.

use serde::{Deserialize, Serialize};

/// What goes wrong.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "ms")]
pub enum FaultKind {
    /// 503 before anything is processed.
    Error,
    /// The request is applied, then answered with 502: the client cannot know it worked.
    AfterWrite,
    /// The connection breaks before anything is processed.
    Drop,
    /// The request is applied, then the connection breaks.
    DropAfterWrite,
    /// 429 with `Retry-After: 1`, before processing.
    #[serde(rename = "429")]
    RateLimit,
    /// Extra latency of this many milliseconds.
    Slow(u64),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// `GET`, `POST`, … or `*`.
    pub method: String,
    /// A route key such as `conversations`, `conversations/messages`, `contacts`, or `*`.
    pub route: String,
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Probability per matching request, 0..=1.
    pub rate: f64,
}

impl FaultRule {
    /// Parses `METHOD:ROUTE:KIND:RATE`, e.g. `POST:conversations/messages:after-write:0.05`,
    /// `GET:*:error:0.1`, `*:*:slow=500:0.02`.
    pub fn parse(spec: &str) -> Result<FaultRule, String> {
        let parts: Vec<&str> = spec.split(':').collect();
        let [method, route, kind, rate] = parts[..] else {
            return Err(format!(
                "fault {spec:?}: expected METHOD:ROUTE:KIND:RATE, e.g. POST:conversations:after-write:0.05"
            ));
        };
        let kind = match kind.split_once('=') {
            Some(("slow", ms)) => FaultKind::Slow(
                ms.parse()
                    .map_err(|_| format!("fault {spec:?}: slow=MS needs a number"))?,
            ),
            None if kind == "error" => FaultKind::Error,
            None if kind == "after-write" => FaultKind::AfterWrite,
            None if kind == "drop" => FaultKind::Drop,
            None if kind == "drop-after-write" => FaultKind::DropAfterWrite,
            None if kind == "429" => FaultKind::RateLimit,
            _ => {
                return Err(format!(
                    "fault {spec:?}: unknown kind {kind:?} (error, after-write, drop, drop-after-write, 429, slow=MS)"
                ));
            }
        };
        let rate: f64 = rate
            .parse()
            .map_err(|_| format!("fault {spec:?}: rate must be a number from 0 to 1"))?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(format!("fault {spec:?}: rate must be from 0 to 1"));
        }
        Ok(FaultRule {
            method: method.to_ascii_uppercase(),
            route: route.trim_matches('/').to_string(),
            kind,
            rate,
        })
    }

    /// `*` covers every data route but not `auth/token`: faults in the token endpoint are a
    /// different experiment (a lost rotation answer ends the session) and must be named.
    pub fn applies(&self, method: &str, route: &str) -> bool {
        (self.method == "*" || self.method.eq_ignore_ascii_case(method))
            && ((self.route == "*" && route != "auth/token") || self.route == route)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let r = FaultRule::parse("post:conversations/messages:after-write:0.05").unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(r.kind, FaultKind::AfterWrite);
        assert!(r.applies("POST", "conversations/messages"));
        let all = FaultRule::parse("*:*:error:1").unwrap();
        assert!(all.applies("GET", "contacts") && !all.applies("POST", "auth/token"));
        assert!(
            FaultRule::parse("POST:auth/token:error:1")
                .unwrap()
                .applies("POST", "auth/token")
        );
        assert!(!r.applies("GET", "conversations/messages"));
        assert_eq!(
            FaultRule::parse("*:*:slow=250:1").unwrap().kind,
            FaultKind::Slow(250)
        );
        assert!(FaultRule::parse("GET:*:error:1.5").is_err());
        assert!(FaultRule::parse("GET:*:boom:0.1").is_err());
        assert!(FaultRule::parse("GET:error").is_err());
    }

    #[test]
    fn json_form_round_trips() {
        let r = FaultRule::parse("*:*:429:0.5").unwrap();
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["kind"], "429");
        assert_eq!(serde_json::from_value::<FaultRule>(v).unwrap(), r);
    }
}
