//! Pictures the tests draw: real PNG files a person would recognise in a screenshot (a
//! sunrise over rows of solar panels, at any size; RGB, 8 bits, zlib-compressed), and a JPEG
//! carrying the metadata Chorus must strip.

/// A PNG `width` × `height` pixels: a sky from deep blue to orange, a sun, and rows of dark
/// panels on green ground.
#[must_use]
pub fn sunrise_png(width: u32, height: u32) -> Vec<u8> {
    let (w, h) = (f64::from(width), f64::from(height));
    let mut raw = Vec::with_capacity(((width * 3 + 1) * height) as usize);
    for y in 0..height {
        raw.push(0); // filter: none
        let fy = f64::from(y) / h;
        for x in 0..width {
            let fx = f64::from(x) / w;
            let horizon = 0.62;
            let rgb = if fy < horizon {
                let t = fy / horizon;
                let sky = [
                    lerp(32.0, 250.0, t),
                    lerp(58.0, 160.0, t),
                    lerp(120.0, 90.0, t),
                ];
                let (dx, dy) = ((fx - 0.72) * w / h, fy - 0.55);
                if dx.hypot(dy) < 0.11 {
                    [255.0, 214.0, 120.0]
                } else {
                    sky
                }
            } else {
                let row = ((fy - horizon) * 18.0).fract();
                let panel = row < 0.55 && (fx * 14.0).fract() > 0.08;
                if panel {
                    [28.0, 44.0, 78.0 + 40.0 * row]
                } else {
                    [70.0, 120.0, 60.0]
                }
            };
            raw.extend(rgb.map(channel));
        }
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, *b"IHDR", &header);
    chunk(
        &mut png,
        *b"IDAT",
        &miniz_oxide::deflate::compress_to_vec_zlib(&raw, 6),
    );
    chunk(&mut png, *b"IEND", &[]);
    png
}

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "clamped to 0..=255 first"
)]
fn channel(value: f64) -> u8 {
    value.round().clamp(0.0, 255.0) as u8
}

fn lerp(a: f64, b: f64, t: f64) -> f64 {
    a + (b - a) * t
}

fn chunk(png: &mut Vec<u8>, kind: [u8; 4], data: &[u8]) {
    png.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
    png.extend_from_slice(&kind);
    png.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(&kind);
    crc.update(data);
    png.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// A structurally valid 16 × 16 JPEG whose EXIF segment holds a GPS position, with a comment
/// naming its author, and `scan` bytes of picture data (the pattern `12 34 56` repeated).
#[must_use]
pub fn jpeg_with_exif(scan: usize) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    let mut segment = |marker: u8, body: &[u8]| {
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(
            &u16::try_from(body.len() + 2)
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        out.extend_from_slice(body);
    };
    segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    segment(0xE1, b"Exif\0\0MM\0*GPS 45.7640N 4.8357E");
    segment(0xFE, b"taken by Ana on her phone");
    segment(0xDB, &[0u8; 65]);
    segment(0xC0, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0]);
    segment(0xDA, &[1, 1, 0, 0, 63, 0]);
    out.extend([0x12, 0x34, 0x56].into_iter().cycle().take(scan));
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}
