//! The leases this node works on: held from the moment an attempt is spawned until its outcome is written. The
//! renewer extends exactly these, so a delivery this node gave up on (an outcome it could not write, a claim it
//! could not send) is not kept leased: its lease expires and any node sends it again.

use std::collections::HashSet;
use std::sync::Mutex;

use kurir_store::Lease;

#[derive(Debug, Default)]
pub struct Leases(Mutex<HashSet<Lease>>);

impl Leases {
    pub fn hold(&self, lease: Lease) {
        if let Ok(mut held) = self.0.lock() {
            held.insert(lease);
        }
    }

    pub fn release<'a>(&self, leases: impl IntoIterator<Item = &'a Lease>) {
        if let Ok(mut held) = self.0.lock() {
            for lease in leases {
                held.remove(lease);
            }
        }
    }

    /// The leases held now, to renew.
    pub fn held(&self) -> Vec<Lease> {
        self.0.lock().map(|held| held.iter().cloned().collect()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kurir_core::id::DeliveryId;

    #[test]
    fn holds_until_released() {
        let leases = Leases::default();
        let one = Lease { delivery_id: DeliveryId::generate(1, 1), lease_token: 7 };
        let two = Lease { delivery_id: DeliveryId::generate(1, 2), lease_token: 8 };
        leases.hold(one.clone());
        leases.hold(two.clone());
        leases.release([&one]);
        assert_eq!(leases.held(), vec![two]);
    }
}
