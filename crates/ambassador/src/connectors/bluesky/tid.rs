//! TIDs (timestamp identifiers): the record keys of Bluesky posts. A share queued for Bluesky
//! gets one as its idempotency key, so every retry creates the same record.

use chrono::Utc;
use sha2::{Digest as _, Sha256};

/// The base32-sortable alphabet of TIDs.
const S32: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

/// A TID (timestamp identifier): 53 bits of microseconds since 1970 and 10 random bits of
/// clock id, 13 characters. Bluesky post record keys must be TIDs.
pub fn new_tid() -> String {
    let micros = u64::try_from(Utc::now().timestamp_micros()).unwrap_or_default();
    let clock_id = u64::from(rand::random::<u16>() & 0x3ff);
    encode_tid(((micros & ((1 << 53) - 1)) << 10) | clock_id)
}

fn encode_tid(value: u64) -> String {
    let value = value & !(1 << 63);
    (0..13)
        .rev()
        .map(|position| {
            let index = usize::try_from((value >> (position * 5)) & 31).unwrap_or_default();
            char::from(S32[index])
        })
        .collect()
}

/// Whether `text` is a TID.
pub fn is_tid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 13
        && b"234567abcdefghij".contains(&bytes[0])
        && bytes.iter().all(|byte| S32.contains(byte))
}

/// The record key of a post: its idempotency key when that is a TID (shares queued for
/// Bluesky get one), otherwise a TID derived from it, so the same key always gives the same
/// record key.
pub fn record_key(idempotency_key: &str) -> String {
    if is_tid(idempotency_key) {
        return idempotency_key.to_owned();
    }
    let digest = Sha256::digest(idempotency_key.as_bytes());
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    encode_tid(u64::from_be_bytes(first))
}
