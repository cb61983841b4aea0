//! What each network takes as a post's image (networks.md, each network's media section): the
//! types, the largest file, the longest description, and the shapes. The same rules are checked
//! twice: when a person queues a share (so they hear at once, and can choose another picture or
//! none) and by the connector before it uploads (an image that changed since, or a caller that
//! did not check, fails the post with the reason: a post never goes without the image it was
//! meant to carry).

use chorus_policy::Network;

use super::PostImage;

/// One network's rules for an image in a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageRules {
    /// The largest file, in bytes, where the network states one.
    pub max_bytes: Option<usize>,
    /// The media types taken.
    pub types: &'static [&'static str],
    /// The longest description, in characters.
    pub max_alt: usize,
    /// The most pixels (width × height), where the network states it.
    pub max_pixels: Option<u64>,
    /// The longest side over the shortest, at most, where the network states it.
    pub max_ratio: Option<u32>,
}

const MIB: usize = 1024 * 1024;

/// The rules of `network`:
/// - Bluesky: 1,000,000 bytes per blob (the docs; the lexicon says 2,000,000), any image type
///   its app posts, descriptions up to 2,000 characters (the app's limit);
/// - Mastodon: 16 MB per image (the server's default), 1,500 characters of description;
/// - X: 5 MB per image (`tweet_image`), 1,000 characters of alt text (`/2/media/metadata`);
/// - LinkedIn: JPEG, PNG and GIF (no WebP), at most 36,152,320 pixels; no byte limit stated;
///   `altText` up to 4,086 characters;
/// - Threads: JPEG and PNG only, 8 MB, shapes up to 10:1, 1,000 characters of alt text.
#[must_use]
pub fn rules(network: Network) -> ImageRules {
    const COMMON: &[&str] = &["image/jpeg", "image/png", "image/webp", "image/gif"];
    match network {
        Network::Bluesky => ImageRules {
            max_bytes: Some(1_000_000),
            types: COMMON,
            max_alt: 2000,
            max_pixels: None,
            max_ratio: None,
        },
        Network::Mastodon => ImageRules {
            max_bytes: Some(16 * MIB),
            types: COMMON,
            max_alt: 1500,
            max_pixels: None,
            max_ratio: None,
        },
        Network::X => ImageRules {
            max_bytes: Some(5 * MIB),
            types: COMMON,
            max_alt: 1000,
            max_pixels: None,
            max_ratio: None,
        },
        Network::LinkedIn => ImageRules {
            max_bytes: None,
            types: &["image/jpeg", "image/png", "image/gif"],
            max_alt: 4086,
            max_pixels: Some(36_152_320),
            max_ratio: None,
        },
        Network::Threads => ImageRules {
            max_bytes: Some(8 * MIB),
            types: &["image/jpeg", "image/png"],
            max_alt: 1000,
            max_pixels: None,
            max_ratio: Some(10),
        },
    }
}

/// What is known of an image without its bytes: enough to check it against a network's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageFacts<'a> {
    /// Its media type.
    pub mime: &'a str,
    /// Its size in bytes.
    pub size: usize,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Its description.
    pub alt: &'a str,
}

impl<'a> From<&'a PostImage> for ImageFacts<'a> {
    fn from(image: &'a PostImage) -> Self {
        ImageFacts {
            mime: &image.mime,
            size: image.bytes.len(),
            width: image.width,
            height: image.height,
            alt: &image.alt,
        }
    }
}

/// Why a network would not take an image; said in English in a share's failure, and by the
/// share page in the person's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageProblem {
    /// No description.
    #[error("the image has no description (alt text)")]
    NoAlt,
    /// The description is too long.
    #[error("the image description is longer than {network}'s {max} characters")]
    AltTooLong {
        /// The network.
        network: Network,
        /// Its limit.
        max: usize,
    },
    /// The file is too large.
    #[error("the image is {size} bytes; {network} takes at most {max} bytes")]
    TooLarge {
        /// The network.
        network: Network,
        /// The image's size.
        size: usize,
        /// The network's limit.
        max: usize,
    },
    /// A type the network does not take.
    #[error("{network} does not take {mime} images")]
    Type {
        /// The network.
        network: Network,
        /// The image's type.
        mime: String,
    },
    /// Too many pixels.
    #[error("the image is {width}×{height} pixels; {network} takes at most {max} pixels")]
    TooManyPixels {
        /// The network.
        network: Network,
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// The network's limit.
        max: u64,
    },
    /// Too narrow or too tall.
    #[error("the image is {width}×{height} pixels; {network} takes shapes up to {max}:1")]
    Shape {
        /// The network.
        network: Network,
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// The network's limit.
        max: u32,
    },
    /// Its size in pixels is unknown (a damaged file).
    #[error("the image's size in pixels cannot be read")]
    NoDimensions,
}

/// Checks an image against `network`'s rules.
///
/// # Errors
/// The first [`ImageProblem`] found.
pub fn check(network: Network, image: ImageFacts<'_>) -> Result<(), ImageProblem> {
    let rules = rules(network);
    if image.alt.trim().is_empty() {
        return Err(ImageProblem::NoAlt);
    }
    if image.alt.chars().count() > rules.max_alt {
        return Err(ImageProblem::AltTooLong {
            network,
            max: rules.max_alt,
        });
    }
    if !rules.types.contains(&image.mime) {
        return Err(ImageProblem::Type {
            network,
            mime: image.mime.to_owned(),
        });
    }
    if let Some(max) = rules.max_bytes
        && image.size > max
    {
        return Err(ImageProblem::TooLarge {
            network,
            size: image.size,
            max,
        });
    }
    let (width, height) = (image.width, image.height);
    if width == 0 || height == 0 {
        return Err(ImageProblem::NoDimensions);
    }
    if let Some(max) = rules.max_pixels
        && u64::from(width) * u64::from(height) > max
    {
        return Err(ImageProblem::TooManyPixels {
            network,
            width,
            height,
            max,
        });
    }
    if let Some(max) = rules.max_ratio
        && width.max(height) > height.min(width).saturating_mul(max)
    {
        return Err(ImageProblem::Shape {
            network,
            width,
            height,
            max,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(mime: &str, size: usize, width: u32, height: u32) -> ImageFacts<'_> {
        ImageFacts {
            mime,
            size,
            width,
            height,
            alt: "A team on stage",
        }
    }

    #[test]
    fn each_network_takes_what_it_says() {
        let jpeg = facts("image/jpeg", 900_000, 1200, 630);
        for network in Network::ALL {
            assert_eq!(check(network, jpeg), Ok(()), "{network}");
        }
        let webp = facts("image/webp", 10_000, 800, 600);
        assert!(check(Network::Bluesky, webp).is_ok());
        assert!(check(Network::X, webp).is_ok());
        assert!(matches!(
            check(Network::LinkedIn, webp),
            Err(ImageProblem::Type { .. })
        ));
        assert!(matches!(
            check(Network::Threads, webp),
            Err(ImageProblem::Type { .. })
        ));
    }

    #[test]
    fn sizes_are_checked_at_each_networks_limit() {
        let at = |size| facts("image/png", size, 100, 100);
        assert!(check(Network::Bluesky, at(1_000_000)).is_ok());
        assert_eq!(
            check(Network::Bluesky, at(1_000_001)),
            Err(ImageProblem::TooLarge {
                network: Network::Bluesky,
                size: 1_000_001,
                max: 1_000_000
            })
        );
        assert!(check(Network::X, at(5 * MIB)).is_ok());
        assert!(check(Network::X, at(5 * MIB + 1)).is_err());
        assert!(check(Network::Threads, at(8 * MIB + 1)).is_err());
        assert!(
            check(Network::LinkedIn, at(50 * MIB)).is_ok(),
            "no byte limit"
        );
        let huge = facts("image/png", 1000, 8000, 5000);
        assert!(matches!(
            check(Network::LinkedIn, huge),
            Err(ImageProblem::TooManyPixels { .. })
        ));
    }

    #[test]
    fn descriptions_and_shapes() {
        let mut image = facts("image/jpeg", 1000, 1000, 100);
        assert!(check(Network::Threads, image).is_ok(), "10:1 is taken");
        image.width = 1001;
        assert!(matches!(
            check(Network::Threads, image),
            Err(ImageProblem::Shape { max: 10, .. })
        ));
        assert!(check(Network::Mastodon, image).is_ok());
        image.alt = "  ";
        assert_eq!(check(Network::Mastodon, image), Err(ImageProblem::NoAlt));
        let long = "é".repeat(1001);
        image.alt = &long;
        assert!(check(Network::Mastodon, image).is_ok());
        assert_eq!(
            check(Network::X, image),
            Err(ImageProblem::AltTooLong {
                network: Network::X,
                max: 1000
            })
        );
        image.alt = "ok";
        image.height = 0;
        assert_eq!(
            check(Network::Bluesky, image),
            Err(ImageProblem::NoDimensions)
        );
    }
}
