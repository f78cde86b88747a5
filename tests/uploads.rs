//! Photos: `POST /uploads` strips what a phone writes into a photo (EXIF
//! with its GPS position, XMP, text chunks), counts each person's uploads
//! per day, and `GET /uploads/{name}` serves a photo only through the signed,
//! expiring links the API hands out in records the caller may see, or to its
//! uploader; everyone else gets 404. Also: the image builders other modules
//! upload with.

use std::io::Cursor;

use chrono::Duration;
use exif::{Field, In, Reader, Tag, Value as ExifValue};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use domain::Clock;

use crate::common::{TestApp, World, data, error_code, error_field, payload, shanghai, spawn_app_with};

// ---------------------------------------------------------------------------
// Images, built in memory
// ---------------------------------------------------------------------------

/// A 32×24 colour gradient as a baseline JPEG, with whatever `setup` adds.
fn encode_jpeg(setup: impl FnOnce(&mut jpeg_encoder::Encoder<&mut Vec<u8>>)) -> Vec<u8> {
    let (w, h) = (32u16, 24u16);
    let pixels: Vec<u8> =
        (0..h).flat_map(|y| (0..w).flat_map(move |x| [(x * 8) as u8, (y * 10) as u8, ((x + y) * 4) as u8])).collect();
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    setup(&mut encoder);
    encoder.encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb).unwrap();
    out
}

/// A plain JPEG photo, no metadata.
pub(crate) fn jpeg() -> Vec<u8> {
    encode_jpeg(|_| {})
}

/// EXIF as a phone writes it: maker, model, time, orientation (6: taken
/// sideways) and the GPS position of the home (26°34′N 107°58′E, Leishan).
fn phone_exif() -> Vec<u8> {
    let ascii = |tag, text: &str| Field { tag, ifd_num: In::PRIMARY, value: ExifValue::Ascii(vec![text.into()]) };
    let rational = |tag, parts: [u32; 3]| Field {
        tag,
        ifd_num: In::PRIMARY,
        value: ExifValue::Rational(parts.iter().map(|&p| (p, 1).into()).collect()),
    };
    let fields = [
        ascii(Tag::Make, "PhoneMaker"),
        ascii(Tag::Model, "Phone 12"),
        ascii(Tag::DateTimeOriginal, "2026:12:07 09:30:00"),
        Field { tag: Tag::Orientation, ifd_num: In::PRIMARY, value: ExifValue::Short(vec![6]) },
        ascii(Tag::GPSLatitudeRef, "N"),
        rational(Tag::GPSLatitude, [26, 34, 12]),
        ascii(Tag::GPSLongitudeRef, "E"),
        rational(Tag::GPSLongitude, [107, 58, 30]),
    ];
    let mut writer = exif::experimental::Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = Cursor::new(Vec::new());
    writer.write(&mut tiff, false).unwrap();
    tiff.into_inner()
}

/// A JPEG straight from a phone: EXIF with GPS, XMP, a comment, an ICC profile.
fn phone_jpeg(progressive: bool) -> Vec<u8> {
    encode_jpeg(|e| {
        e.set_progressive(progressive);
        if progressive {
            e.set_restart_interval(2);
        }
        e.add_exif_metadata(&phone_exif()).unwrap();
        e.add_app_segment(1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>home</x:xmpmeta>".to_vec()).unwrap();
        e.add_app_segment(15, b"camera notes".to_vec()).unwrap();
        e.add_icc_profile(b"not really a profile, but kept as one").unwrap();
    })
}

fn decode(jpeg: &[u8]) -> Vec<u8> {
    jpeg_decoder::Decoder::new(jpeg).decode().expect("a valid JPEG")
}

fn exif_of(bytes: &[u8]) -> Option<exif::Exif> {
    Reader::new().read_from_container(&mut Cursor::new(bytes)).ok()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let typed = [kind.as_slice(), data].concat();
    [(data.len() as u32).to_be_bytes().to_vec(), typed.clone(), crc32(&typed).to_be_bytes().to_vec()].concat()
}

/// A 1×1 grey PNG with `chunks` (ancillary ones) before its pixels.
fn png_with(chunks: &[Vec<u8>]) -> Vec<u8> {
    let ihdr = png_chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
    // zlib, one stored block: filter byte 0, pixel 0x80; then adler32.
    let idat = png_chunk(b"IDAT", &[0x78, 0x01, 0x01, 0x02, 0x00, 0xFD, 0xFF, 0x00, 0x80, 0x00, 0x83, 0x00, 0x81]);
    let iend = png_chunk(b"IEND", b"");
    [vec![[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A].to_vec(), ihdr], chunks.to_vec(), vec![idat, iend]]
        .concat()
        .concat()
}

/// A valid PNG, `padding` bytes longer than the plain one ([`png`]`(0)`, what is kept).
pub(crate) fn png(padding: usize) -> Vec<u8> {
    if padding == 0 {
        return png_with(&[]);
    }
    assert!(padding >= 12, "a chunk takes 12 bytes besides its data");
    png_with(&[png_chunk(b"prVt", &vec![7; padding - 12])])
}

/// A valid PNG of exactly `size` bytes.
pub(crate) fn png_of_size(size: usize) -> Vec<u8> {
    png(size - png(0).len())
}

/// A 1×1 lossless WebP.
pub(crate) fn webp() -> Vec<u8> {
    let vp8l = [0x2F, 0x00, 0x00, 0x00, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xFE, 0x07, 0x00];
    let mut chunk = b"VP8L".to_vec();
    chunk.extend_from_slice(&13u32.to_le_bytes());
    chunk.extend_from_slice(&vp8l);
    [b"RIFF".to_vec(), ((chunk.len() + 4) as u32).to_le_bytes().to_vec(), b"WEBP".to_vec(), chunk].concat()
}

/// A list of photo URLs as stored: the API's signed links without `?exp=…&sig=…`.
pub(crate) fn plain_urls(urls: &Value) -> Value {
    let plain = |u: &Value| json!(u.as_str().unwrap().split('?').next().unwrap());
    match urls {
        Value::Array(list) => Value::Array(list.iter().map(plain).collect()),
        Value::String(_) => plain(urls),
        other => other.clone(),
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

pub(crate) async fn upload_as(app: &TestApp, token: Option<&str>, bytes: Vec<u8>, name: &str) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str("image/jpeg").unwrap();
    let form = reqwest::multipart::Form::new().text("purpose", "order").part("file", part);
    let mut request = app.client.post(format!("{}/uploads", app.address)).multipart(form);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("the server should answer")
}

/// Uploads as `who`; the 201 answer (`url`, `viewUrl`, `id`, `size`).
async fn uploaded(app: &TestApp, who: &str, bytes: Vec<u8>) -> Value {
    let token = app.session(who).await.access_token;
    let response = upload_as(app, Some(&token), bytes, "photo.jpg").await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn get(app: &TestApp, url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn status_of(app: &TestApp, url: &str, token: Option<&str>) -> u16 {
    get(app, url, token).await.status().as_u16()
}

async fn stored_uploads(app: &TestApp) -> (u64, usize) {
    let rows = domain::entities::upload::Entity::find().count(&app.domain.db).await.unwrap();
    let files = std::fs::read_dir(app.config.data_dir.join("uploads")).unwrap().count();
    (rows, files)
}

const PLACE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id photoUrls } }";
const ORDER: &str = "query($id: ID!) { order(id: $id) { id photoUrls } }";

async fn place_with(w: &World, who: &str, photos: Value) -> Value {
    let input = json!({ "communityId": w.chengnan, "category": "REPAIR", "title": "修水管",
        "description": "厨房水龙头一直滴水", "photoUrls": photos });
    data(&w.gql(who, PLACE, json!({ "input": input })).await, "placeOrder").clone()
}

// ---------------------------------------------------------------------------
// Privacy
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_photo_not_yet_on_a_record_is_seen_by_its_uploader_and_through_its_signed_link_only() {
    let w = World::new().await;
    let body = uploaded(&w.app, "demo-resident-1", jpeg()).await;
    let (url, view) = (body["url"].as_str().unwrap(), body["viewUrl"].as_str().unwrap());
    assert!(view.starts_with(&format!("{url}?exp=")) && view.contains("&sig="), "{body}");

    let mine = w.session("demo-resident-1").await.access_token;
    let theirs = w.session("demo-resident-2").await.access_token;
    let staff = w.session("demo-secretary").await.access_token;
    assert_eq!(status_of(&w.app, url, Some(&mine)).await, 200, "the uploader, by bearer token");
    assert_eq!(status_of(&w.app, view, None).await, 200, "the signed link, as an <image> tag loads it");
    for (who, token) in [("anyone", None), ("a neighbour", Some(&theirs)), ("the secretary", Some(&staff))] {
        let answer = get(&w.app, url, token.map(String::as_str)).await;
        assert_eq!(answer.status(), 404, "{who} without a signature");
        assert_eq!(error_code(&answer.json().await.unwrap()), "NOT_FOUND");
    }
    assert_eq!(status_of(&w.app, &format!("{url}?exp=99999999999&sig=00"), None).await, 404, "a made-up signature");
    let (_, query) = view.split_once('?').unwrap();
    let last = if view.ends_with('0') { "1" } else { "0" };
    let tampered = format!("{}{last}", &view[..view.len() - 1]);
    assert_eq!(status_of(&w.app, &tampered, None).await, 404, "a changed signature");
    let exp: i64 = query.split('&').next().unwrap().trim_start_matches("exp=").parse().unwrap();
    let later = view.replace(&format!("exp={exp}"), &format!("exp={}", exp + 3600));
    assert_eq!(status_of(&w.app, &later, None).await, 404, "a signature does not stretch to a later expiry");
    let other = uploaded(&w.app, "demo-resident-1", png(0)).await;
    let borrowed = format!("{}?{query}", other["url"].as_str().unwrap());
    assert_eq!(status_of(&w.app, &borrowed, None).await, 404, "a signature is for one photo");

    // An hour on, the link no longer works; the uploader still sees her photo.
    w.app.clock.advance(Duration::seconds(3600 + 601));
    assert_eq!(status_of(&w.app, view, None).await, 404, "expired");
    assert_eq!(status_of(&w.app, url, Some(&mine)).await, 200);
}

#[tokio::test]
async fn photos_on_an_order_reach_those_who_may_see_the_order_and_no_one_else() {
    let w = World::new().await;
    let photo = uploaded(&w.app, "demo-resident-1", jpeg()).await["url"].as_str().unwrap().to_owned();
    let order = place_with(&w, "demo-resident-1", json!([photo, "https://img.example.com/kitchen.jpg"])).await;
    assert_eq!(plain_urls(&order["photoUrls"]), json!([photo, "https://img.example.com/kitchen.jpg"]));
    assert_eq!(order["photoUrls"][1], "https://img.example.com/kitchen.jpg", "other hosts' URLs are left alone");
    let id = order["id"].clone();

    for who in ["demo-resident-1", "demo-secretary", "demo-grid"] {
        let seen = data(&w.gql(who, ORDER, json!({ "id": id })).await, "order").clone();
        let link = seen["photoUrls"][0].as_str().unwrap().to_owned();
        assert!(link.starts_with(&format!("{photo}?exp=")), "{who}: {link}");
        let served = get(&w.app, &link, None).await;
        assert_eq!(served.status(), 200, "{who} sees the photo of an order they may see");
        assert_eq!(served.headers()["x-content-type-options"], "nosniff");
        assert_eq!(served.headers()["content-type"], "image/jpeg");
    }
    // 城北社区's resident may not see the order: no link, and the plain URL is not found.
    let outsider = w.gql("demo-resident-3", ORDER, json!({ "id": id })).await;
    assert_eq!(error_code(&outsider), "NOT_FOUND", "{outsider}");
    let token = w.session("demo-resident-3").await.access_token;
    assert_eq!(status_of(&w.app, &photo, Some(&token)).await, 404);

    // A link handed back (the mini-program resubmitting what it was shown) is stored plain.
    let link = order["photoUrls"][0].as_str().unwrap().to_owned();
    let again = place_with(&w, "demo-resident-1", json!([link])).await;
    assert_eq!(plain_urls(&again["photoUrls"]), json!([photo]));
    let row = domain::entities::order::Entity::find_by_id(again["id"].as_str().unwrap().parse::<i64>().unwrap())
        .one(&w.app.domain.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.photo_urls, json!([photo]).to_string(), "the signature is not stored");
}

#[tokio::test]
async fn a_photo_someone_else_uploaded_cannot_be_attached_to_my_order_or_my_completed_work() {
    let w = World::new().await;
    let hers = uploaded(&w.app, "demo-resident-1", jpeg()).await;
    let order = place_with(&w, "demo-resident-1", json!([hers["url"]])).await;
    let shown =
        data(&w.gql("demo-secretary", ORDER, json!({ "id": order["id"] })).await, "order")["photoUrls"][0].clone();

    // A neighbour (or the staff member shown it) attaching her photo, plain or as the signed link, is refused.
    for (who, url) in [
        ("demo-resident-2", hers["url"].clone()),
        ("demo-resident-2", hers["viewUrl"].clone()),
        ("demo-secretary", shown),
    ] {
        let input = json!({ "communityId": w.chengnan, "category": "REPAIR", "title": "修水管",
            "description": "厨房水龙头一直滴水", "photoUrls": [url] });
        let refused = w.gql(who, PLACE, json!({ "input": input })).await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{who}: {refused}");
        assert_eq!(error_field(&refused), "photoUrls");
        assert!(refused["errors"][0]["message"].as_str().unwrap().contains("别人上传的照片"), "{refused}");
    }
    let orders = domain::entities::order::Entity::find().count(&w.app.domain.db).await.unwrap();
    assert_eq!(orders, 1, "no order was placed with her photo");

    // The helper reports the work done with his own photos, not hers.
    let id = order["id"].clone();
    payload(
        &w.gql("demo-secretary", "mutation($id: ID!) { dispatchOrder(orderId: $id) { id } }", json!({ "id": id }))
            .await,
    );
    payload(
        &w.gql("demo-member-1", "mutation($id: ID!) { claimOrder(orderId: $id) { id } }", json!({ "id": id })).await,
    );
    let complete = "mutation($id: ID!, $p: [String!]!) { completeOrder(orderId: $id, note: \"修好了\", photoUrls: $p) { status } }";
    let refused = w.gql("demo-member-1", complete, json!({ "id": id, "p": [hers["url"]] })).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    assert_eq!(error_field(&refused), "photoUrls");
    let status = data(
        &w.gql("demo-secretary", "query($id: ID!) { order(id: $id) { status } }", json!({ "id": id })).await,
        "order",
    )["status"]
        .clone();
    assert_eq!(status, "CLAIMED", "the refused report changed nothing");
    let his = uploaded(&w.app, "demo-member-1", png(0)).await;
    let done = w.gql("demo-member-1", complete, json!({ "id": id, "p": [his["url"]] })).await;
    assert_eq!(payload(&done)["status"], "AWAITING_APPROVAL", "{done}");
}

#[tokio::test]
async fn links_handed_out_close_together_are_the_same_so_images_stay_cached() {
    let w = World::new().await;
    let photo = uploaded(&w.app, "demo-resident-1", jpeg()).await["url"].as_str().unwrap().to_owned();
    let order = place_with(&w, "demo-resident-1", json!([photo])).await;
    let read = || async { data(&w.gql("demo-resident-1", ORDER, json!({ "id": order["id"] })).await, "order").clone() };
    let first = read().await["photoUrls"][0].clone();
    assert_eq!(read().await["photoUrls"][0], first);
    w.app.clock.advance(Duration::minutes(30));
    let later = read().await["photoUrls"][0].clone();
    assert_ne!(later, first, "half an hour later, a fresh link");
    assert_eq!(status_of(&w.app, later.as_str().unwrap(), None).await, 200);
    assert_eq!(status_of(&w.app, first.as_str().unwrap(), None).await, 200, "the first still works within its hour");
}

#[tokio::test]
async fn api_responses_and_served_files_tell_browsers_not_to_sniff() {
    let w = World::new().await;
    for path in ["/graphql", "/healthz"] {
        let answer = w.app.client.get(format!("{}{path}", w.app.address)).send().await.unwrap();
        assert_eq!(answer.headers()["x-content-type-options"], "nosniff", "{path}");
    }
    let posted = w.app.client.post(format!("{}/graphql", w.app.address)).json(&json!({ "query": "{ __typename }" }));
    assert_eq!(posted.send().await.unwrap().headers()["x-content-type-options"], "nosniff");
    let body = uploaded(&w.app, "demo-resident-1", png(0)).await;
    let served = get(&w.app, body["viewUrl"].as_str().unwrap(), None).await;
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    assert_eq!(served.headers()["content-type"], "image/png");
    assert!(served.headers()["cache-control"].to_str().unwrap().starts_with("private"), "not kept by shared caches");
}

// ---------------------------------------------------------------------------
// Metadata
// ---------------------------------------------------------------------------

#[tokio::test]
async fn exif_and_its_gps_position_are_stripped_from_an_uploaded_jpeg_which_stays_the_same_picture() {
    let w = World::new().await;
    for progressive in [false, true] {
        let original = phone_jpeg(progressive);
        let before = exif_of(&original).expect("the phone's EXIF is there to strip");
        assert!(before.get_field(Tag::GPSLatitude, In::PRIMARY).is_some(), "with its GPS position");

        let body = uploaded(&w.app, "demo-resident-1", original.clone()).await;
        let served = get(&w.app, body["viewUrl"].as_str().unwrap(), None).await;
        assert_eq!(served.status(), 200);
        let kept = served.bytes().await.unwrap().to_vec();
        assert_eq!(body["size"], kept.len(), "the size recorded is the size kept");
        assert!(kept.len() < original.len());

        let after = exif_of(&kept).expect("only the orientation is written back");
        let tags: Vec<Tag> = after.fields().map(|f| f.tag).collect();
        assert_eq!(tags, vec![Tag::Orientation], "progressive {progressive}: nothing but the orientation");
        assert_eq!(after.get_field(Tag::Orientation, In::PRIMARY).unwrap().value.get_uint(0), Some(6));
        for secret in [&b"PhoneMaker"[..], b"xmpmeta", b"camera notes", b"2026:12:07"] {
            assert!(!kept.windows(secret.len()).any(|w| w == secret), "{}", String::from_utf8_lossy(secret));
        }
        assert!(kept.windows(12).any(|w| w == b"ICC_PROFILE\0"), "the colour profile stays");
        assert_eq!(decode(&kept), decode(&original), "the same pixels: nothing re-encoded");
    }
}

#[tokio::test]
async fn png_text_time_and_exif_chunks_are_stripped_and_other_kinds_refused() {
    let w = World::new().await;
    let tagged = png_with(&[
        png_chunk(b"eXIf", &phone_exif()),
        png_chunk(b"tEXt", b"Comment\0my home address"),
        png_chunk(b"tIME", &[0x07, 0xEA, 12, 7, 9, 30, 0]),
    ]);
    let body = uploaded(&w.app, "demo-resident-1", tagged).await;
    let kept = get(&w.app, body["viewUrl"].as_str().unwrap(), None).await.bytes().await.unwrap().to_vec();
    assert_eq!(kept, png(0), "the picture's chunks, and only those");

    let body = uploaded(&w.app, "demo-resident-1", webp()).await;
    assert_eq!(body["contentType"], "image/webp");

    let token = w.session("demo-resident-1").await.access_token;
    let before = stored_uploads(&w.app).await;
    let heic = [&[0, 0, 0, 0x18][..], b"ftypheic", &[0, 0, 0, 0], b"mif1heic", &[0; 32]].concat();
    let mut cut = jpeg();
    cut.truncate(cut.len() / 2);
    for (bytes, what) in [(heic, "HEIC"), (cut, "a JPEG cut short")] {
        let answer = upload_as(&w.app, Some(&token), bytes, "photo.jpg").await;
        assert_eq!(answer.status(), 400, "{what}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{what}");
    }
    assert_eq!(stored_uploads(&w.app).await, before, "nothing kept of refused files");
}

// ---------------------------------------------------------------------------
// Quota
// ---------------------------------------------------------------------------

#[tokio::test]
async fn uploads_beyond_the_daily_count_are_refused_store_nothing_and_start_again_the_next_day() {
    let app = spawn_app_with(|c| c.uploads.daily_count = 3).await;
    let token = app.session("demo-resident-1").await.access_token;
    for _ in 0..3 {
        assert_eq!(upload_as(&app, Some(&token), jpeg(), "a.jpg").await.status(), 201);
    }
    let before = stored_uploads(&app).await;
    let refused = upload_as(&app, Some(&token), jpeg(), "a.jpg").await;
    assert_eq!(refused.status(), 429);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(error_code(&body), "RATE_LIMITED");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("上限") && message.contains('3'), "{message}");
    assert_eq!(stored_uploads(&app).await, before, "a refused upload stores nothing");

    let neighbour = app.session("demo-resident-2").await.access_token;
    assert_eq!(upload_as(&app, Some(&neighbour), jpeg(), "a.jpg").await.status(), 201, "the quota is per person");

    // Midnight in Shanghai starts a new day.
    let now = app.clock.now();
    let tomorrow = (now.with_timezone(&shanghai()).date_naive() + Duration::days(1)).and_hms_opt(0, 0, 1).unwrap();
    let midnight = tomorrow.and_local_timezone(shanghai()).unwrap().with_timezone(&chrono::Utc);
    app.clock.advance(midnight - now);
    assert_eq!(upload_as(&app, Some(&token), jpeg(), "a.jpg").await.status(), 201, "a new day, a new quota");
}

#[tokio::test]
async fn uploads_beyond_the_daily_bytes_are_refused_and_what_still_fits_is_taken() {
    let (photo, small) = (jpeg(), png(0));
    let limit = photo.len() + small.len();
    let app = spawn_app_with(|c| c.uploads.daily_bytes = limit as u64).await;
    let token = app.session("demo-resident-1").await.access_token;
    assert_eq!(upload_as(&app, Some(&token), photo.clone(), "a.jpg").await.status(), 201);
    let refused = upload_as(&app, Some(&token), photo, "b.jpg").await;
    assert_eq!(refused.status(), 429);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(error_code(&body), "RATE_LIMITED");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("MB"), "{body}");
    assert_eq!(upload_as(&app, Some(&token), small, "c.png").await.status(), 201, "exactly up to the limit");
    assert_eq!(upload_as(&app, Some(&token), png(0), "d.png").await.status(), 429);
}
