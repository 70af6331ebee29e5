//! Call-outs: DealPOS's synchronous loyalty requests. The POS asks and waits for the answer (the cashier is
//! waiting), so these are never stored and forwarded: kurir relays the request to the tenant's provider, checks
//! the answer against the documented shape, and answers at once.
//!
//! | name | DealPOS feature | the provider answers |
//! | --- | --- | --- |
//! | `fetchLoyaltyPoints` | External Loyalty App: Fetch Member Point | `{"Point": 1208}` |
//! | `loyaltyPointOnOrderComplete` | External Loyalty App: Order Complete | `{"reward": 9000}` |
//! | `loyaltyValidateCoupon` | External Loyalty App: Validate Coupon (legacy) | `{"Type": "percentageDiscount"\|"value", "Amount", ...}`, or 400 `{"status": "used", "expiredAt", "Message"}` |
//! | `validateCoupon` | Loyalty Provider: Validate Coupon | `{"Type": "Percentage"\|"Amount", "Amount", "Notification", ...}`, or 400 with a message (assumed) |

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::id::TenantId;
use crate::CoreError;

/// Where a tenant's call-out goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalloutProvider {
    pub tenant: TenantId,
    /// One of [`NAMES`].
    pub name: String,
    pub url: String,
    pub timeout_ms: u32,
    pub headers: BTreeMap<String, String>,
    pub updated_at_ms: i64,
}

/// The POS waits for the answer: 5 s unless the tenant says otherwise, 30 s at most (DealPOS's own limit).
pub const DEFAULT_TIMEOUT_MS: u32 = 5_000;
pub const MAX_TIMEOUT_MS: u32 = 30_000;

/// One documented call-out: its name and the JSON Schemas of the provider's answers.
pub struct Callout {
    pub name: &'static str,
    pub title: &'static str,
    success: jsonschema::Validator,
    /// The documented refusal (HTTP 400), when the call-out has one.
    refusal: Option<jsonschema::Validator>,
}

impl std::fmt::Debug for Callout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callout").field("name", &self.name).finish_non_exhaustive()
    }
}

pub const NAMES: [&str; 4] =
    ["fetchLoyaltyPoints", "loyaltyPointOnOrderComplete", "loyaltyValidateCoupon", "validateCoupon"];

fn schema(value: &Value) -> jsonschema::Validator {
    // The schemas below are constants of this file; a test compiles every one of them.
    match jsonschema::options().should_validate_formats(false).build(value) {
        Ok(validator) => validator,
        Err(err) => unreachable!("a built-in call-out schema does not compile: {err}"),
    }
}

impl Callout {
    pub fn get(name: &str) -> Option<Callout> {
        let (title, success, refusal) = match name {
            "fetchLoyaltyPoints" => (
                "Fetch Member Point",
                json!({"type": "object", "required": ["Point"], "properties": {"Point": {"type": "number"}}}),
                None,
            ),
            "loyaltyPointOnOrderComplete" => (
                "Order Complete",
                json!({"type": "object", "required": ["reward"], "properties": {"reward": {"type": "number"}}}),
                None,
            ),
            "loyaltyValidateCoupon" => (
                "Validate Coupon (External Loyalty App)",
                json!({"type": "object", "required": ["Type", "Amount"], "properties": {
                    "Type": {"enum": ["percentageDiscount", "value"]},
                    "Amount": {"type": "number"},
                    "status": {"type": "string"},
                    "expiredAt": {"type": ["string", "null"]},
                }}),
                Some(json!({"type": "object", "required": ["status"], "properties": {
                    "status": {"type": "string"}, "expiredAt": {"type": ["string", "null"]}, "Message": {"type": "string"},
                }})),
            ),
            "validateCoupon" => (
                "Validate Coupon (Loyalty Provider)",
                json!({"type": "object", "required": ["Type", "Amount"], "properties": {
                    "Type": {"enum": ["Percentage", "Amount"]},
                    "Amount": {"type": "number"},
                    "Notification": {"type": ["string", "null"]},
                }}),
                Some(json!({"type": "object"})),
            ),
            _ => return None,
        };
        let name = NAMES.into_iter().find(|n| *n == name)?;
        Some(Callout { name, title, success: schema(&success), refusal: refusal.as_ref().map(schema) })
    }

    /// Checks a provider's answer: a 2xx must meet the documented shape; a 400 is relayed when the call-out
    /// documents a refusal and the body meets it. Anything else is the provider's failure.
    pub fn check_answer(&self, status: u16, body: &Value) -> Result<(), CoreError> {
        let (validator, what) = match status {
            200..=299 => (&self.success, "answer"),
            400 => match &self.refusal {
                Some(refusal) => (refusal, "refusal"),
                None => return Err(CoreError::invalid("status", format!("{} documents no 400 answer", self.name))),
            },
            other => return Err(CoreError::invalid("status", format!("the provider answered HTTP {other}"))),
        };
        match validator.iter_errors(body).next() {
            None => Ok(()),
            Some(error) => Err(CoreError::invalid(
                crate::catalog::field_path(body, error.instance_path().as_str()).replacen("payload", "response", 1),
                format!("the provider's {what} breaks the documented shape: {error}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, status: u16, body: Value) -> Result<(), String> {
        let callout = Callout::get(name).unwrap_or_else(|| panic!("{name} is a call-out"));
        callout.check_answer(status, &body).map_err(|e| e.to_string())
    }

    #[test]
    fn every_call_out_exists_and_its_schemas_compile() {
        for name in NAMES {
            assert!(Callout::get(name).is_some(), "{name}");
        }
        assert!(Callout::get("productCreated").is_none());
    }

    #[test]
    fn answers_are_checked_against_the_documented_shapes() {
        assert_eq!(check("fetchLoyaltyPoints", 200, json!({"Point": 1208})), Ok(()));
        assert!(check("fetchLoyaltyPoints", 200, json!({"Points": 1208})).is_err());
        assert!(check("fetchLoyaltyPoints", 200, json!({"Point": "many"})).unwrap_err().starts_with("response.Point"));
        assert_eq!(check("loyaltyPointOnOrderComplete", 200, json!({"reward": 9000})), Ok(()));
        assert_eq!(
            check("loyaltyValidateCoupon", 200, json!({"Type": "value", "Amount": 5000, "status": "valid"})),
            Ok(())
        );
        assert!(check("loyaltyValidateCoupon", 200, json!({"Type": "Percentage", "Amount": 5})).is_err());
        assert_eq!(
            check("loyaltyValidateCoupon", 400, json!({"status": "used", "expiredAt": null, "Message": "used"})),
            Ok(())
        );
        assert_eq!(
            check("validateCoupon", 200, json!({"Type": "Percentage", "Amount": 10, "Notification": "ok"})),
            Ok(())
        );
        assert!(check("fetchLoyaltyPoints", 400, json!({})).is_err(), "no documented refusal");
        assert!(check("validateCoupon", 500, json!({})).is_err());
    }
}
