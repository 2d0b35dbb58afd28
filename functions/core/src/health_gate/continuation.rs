//! The continuation token of a waiting gate: `hg1.<started>.<deadline>.<digest>`.
//!
//! CodePipeline hands the token back on every re-invocation of an action that answered "in
//! progress". It carries the wait's start and deadline (seconds since the epoch), so no state is
//! kept anywhere else, and a digest over both and the action's `UserParameters`, so a token that
//! was altered, truncated, or issued before the parameters changed is refused instead of trusted.

use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::params::GateParameters;
use crate::text::truncate_for_message;
use crate::timestamps;

const VERSION: &str = "hg1";
/// How far in the future a token's start may lie (clock skew between invocations).
const SKEW_SECONDS: i64 = 300;

/// A wait in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    pub started: OffsetDateTime,
    pub deadline: OffsetDateTime,
}

fn digest(started: i64, deadline: i64, params: &GateParameters) -> String {
    let mut h = Sha256::new();
    h.update(b"switchyard/health-gate/continuation/v1\0");
    h.update(started.to_be_bytes());
    h.update(deadline.to_be_bytes());
    h.update(serde_json::to_vec(params).unwrap_or_default());
    hex::encode(&h.finalize()[..16])
}

impl Wait {
    /// A wait starting now, for the parameters' `wait_minutes`.
    pub fn start(now: OffsetDateTime, params: &GateParameters) -> Wait {
        let started = timestamps::from_unix(now.unix_timestamp());
        Wait {
            started,
            deadline: started + Duration::minutes(i64::from(params.wait_minutes)),
        }
    }

    pub fn token(&self, params: &GateParameters) -> String {
        let (s, d) = (
            self.started.unix_timestamp(),
            self.deadline.unix_timestamp(),
        );
        format!("{VERSION}.{s}.{d}.{}", digest(s, d, params))
    }

    /// Validates a token handed back by CodePipeline. The error says what is wrong with it.
    pub fn from_token(
        token: &str,
        params: &GateParameters,
        now: OffsetDateTime,
    ) -> Result<Wait, String> {
        let parts: Vec<&str> = token.split('.').collect();
        let [version, started, deadline, mac] = parts.as_slice() else {
            return Err("continuation token is not a health-gate token".into());
        };
        if *version != VERSION {
            return Err(format!(
                "continuation token version {:?} is not {VERSION}",
                truncate_for_message(version)
            ));
        }
        let number = |s: &str| {
            s.parse::<i64>()
                .map_err(|_| "continuation token is malformed".to_owned())
        };
        let (s, d) = (number(started)?, number(deadline)?);
        if digest(s, d, params) != *mac {
            return Err("continuation token does not match this action's UserParameters (altered, or the parameters changed while waiting)".into());
        }
        if d - s != i64::from(params.wait_minutes) * 60 {
            return Err("continuation token's wait does not match wait_minutes".into());
        }
        if s > now.unix_timestamp() + SKEW_SECONDS {
            return Err("continuation token starts in the future".into());
        }
        Ok(Wait {
            started: timestamps::from_unix(s),
            deadline: timestamps::from_unix(d),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(wait: u32) -> GateParameters {
        GateParameters {
            regions: vec!["eu-west-1".into()],
            services: vec![],
            categories: vec!["issue".into()],
            on_unsupported_plan: Default::default(),
            wait_minutes: wait,
        }
    }

    #[test]
    fn a_token_round_trips_and_any_change_is_refused() {
        let now = timestamps::from_unix(1_795_000_000);
        let wait = Wait::start(now, &params(30));
        assert_eq!(wait.deadline - wait.started, Duration::minutes(30));
        let token = wait.token(&params(30));
        assert!(token.len() <= 2048);
        assert_eq!(Wait::from_token(&token, &params(30), now), Ok(wait));

        let later_deadline = token.replace(
            &wait.deadline.unix_timestamp().to_string(),
            &(wait.deadline.unix_timestamp() + 3600).to_string(),
        );
        let mut other = params(30);
        other.regions.push("us-east-1".into());
        let refused = [
            ("garbage", &params(30), "not a health-gate token"),
            ("hg2.1.2.x", &params(30), "version"),
            ("hg1.a.2.x", &params(30), "malformed"),
            (later_deadline.as_str(), &params(30), "does not match"),
            (token.as_str(), &other, "does not match"),
            (token.as_str(), &params(60), "does not match"),
        ];
        for (t, p, why) in refused {
            let err = Wait::from_token(t, p, now).unwrap_err();
            assert!(err.contains(why), "{t}: {err}");
        }
        let err = Wait::from_token(&token, &params(30), now - Duration::hours(1)).unwrap_err();
        assert!(err.contains("future"), "{err}");
    }
}
