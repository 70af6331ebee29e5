//! The catalog's event types as Rust types: [`dealpos`], [`zort`] and [`kurir`] (kurir's own operational events
//! about your endpoints) have one type per catalog type (generated from
//! the catalog's JSON Schemas, so a payload that kurir accepted fits its type), and [`CatalogEvent`] is one of any
//! of them, chosen by the type's name ([`crate::Webhook::event`]).
//!
//! Field names are the vendors' own in `snake_case` (`SalesNTax` → `sales_n_tax`, renamed back on the wire); a
//! field the vendor's doc does not mark required is an `Option`. Unknown fields are ignored: the whole payload is
//! still in [`crate::Webhook::payload`].
//!
//! ```
//! use kurir_verify::events::CatalogEvent;
//!
//! let payload = serde_json::json!({"id": 7, "sku": "A-7", "name": "Tea", "sellprice": "12.50"});
//! match CatalogEvent::parse("ADDPRODUCT", &payload)? {
//!     CatalogEvent::AddProduct(product) => {
//!         assert_eq!(product.sku.map(|sku| sku.to_string()), Some("A-7".to_owned()));
//!         // ZORT sends many numbers as text; both forms read as a number.
//!         assert_eq!(product.sellprice.and_then(|p| p.as_f64()), Some(12.5));
//!     }
//!     other => panic!("not a product: {other:?}"),
//! }
//! # Ok::<(), serde_json::Error>(())
//! ```

mod all;
pub mod dealpos;
pub mod kurir;
pub mod zort;

pub use all::CatalogEvent;

use serde::{Deserialize, Serialize};

/// A value the vendor sends as a number or as text (ZORT's prices and quantities: `12.5` or `"12.50"`), kept as
/// it came.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum NumberOrText {
    Number(serde_json::Number),
    Text(String),
}

impl NumberOrText {
    /// The value as a number: the number, or the text read as one (`None` when it is not a number).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            NumberOrText::Number(number) => number.as_f64(),
            NumberOrText::Text(text) => text.trim().parse().ok(),
        }
    }
}

impl std::fmt::Display for NumberOrText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NumberOrText::Number(number) => number.fmt(f),
            NumberOrText::Text(text) => f.write_str(text),
        }
    }
}
