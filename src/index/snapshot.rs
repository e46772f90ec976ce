//! Serde forms for the saved pass state (see [`super::pass`]) where the
//! default would not survive JSON: maps with tuple keys as lists of pairs,
//! floats that may be infinite, and fixed byte arrays as hex text.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A map as a list of `[key, value]` pairs (JSON map keys must be strings).
pub mod pairs {
    use super::*;

    pub fn serialize<K: Serialize, V: Serialize, H, S: Serializer>(m: &HashMap<K, V, H>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.iter())
    }

    pub fn deserialize<'de, K, V, H, D>(d: D) -> Result<HashMap<K, V, H>, D::Error>
    where
        K: Deserialize<'de> + Eq + Hash,
        V: Deserialize<'de>,
        H: BuildHasher + Default,
        D: Deserializer<'de>,
    {
        let v: Vec<(K, V)> = Vec::deserialize(d)?;
        Ok(v.into_iter().collect())
    }
}

/// An `f64` as text: Rust's shortest round-trip digits (serde_json's own
/// float parsing may be one unit off in the last place), `inf`, `-inf`, `NaN`.
pub mod float {
    use super::*;

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{x:?}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        let t = String::deserialize(d)?;
        t.parse::<f64>().map_err(|_| serde::de::Error::custom(format!("not a number: {t:?}")))
    }
}

/// A boxed byte array as hex text.
pub mod hex_bytes {
    use super::*;

    pub fn serialize<const N: usize, S: Serializer>(b: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        let mut t = String::with_capacity(N * 2);
        for x in b {
            t.push_str(&format!("{x:02x}"));
        }
        s.serialize_str(&t)
    }

    pub fn deserialize<'de, const N: usize, D: Deserializer<'de>>(d: D) -> Result<Box<[u8; N]>, D::Error> {
        let t = String::deserialize(d)?;
        let bad = || serde::de::Error::custom(format!("expected {} hex digits", N * 2));
        if t.len() != N * 2 || !t.is_ascii() {
            return Err(bad());
        }
        let mut out = Box::new([0u8; N]);
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&t[i * 2..i * 2 + 2], 16).map_err(|_| bad())?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct T {
        #[serde(with = "pairs")]
        m: HashMap<(u8, Vec<u32>), u64>,
        #[serde(with = "float")]
        lo: f64,
        #[serde(with = "float")]
        hi: f64,
        #[serde(with = "float")]
        x: f64,
        #[serde(with = "hex_bytes")]
        b: Box<[u8; 4]>,
    }

    #[test]
    fn round_trips_through_json() {
        let t = T {
            m: [((1, vec![2, 3]), 4)].into_iter().collect(),
            lo: f64::INFINITY,
            hi: f64::NEG_INFINITY,
            x: 9.107849594802856e18,
            b: Box::new([0, 1, 0xab, 255]),
        };
        let j = serde_json::to_string(&t).unwrap();
        assert!(j.contains("\"0001abff\"") && j.contains("\"inf\"") && j.contains("\"-inf\""), "{j}");
        assert_eq!(serde_json::from_str::<T>(&j).unwrap(), t);
        assert!(serde_json::from_str::<T>(&j.replace("0001abff", "zz")).is_err());
    }
}
