//! `POST /uploads`: photos from `wx.uploadFile` (multipart), checked by
//! content and size, stripped of their metadata (EXIF, GPS included), counted
//! against the uploader's daily quota, stored under the data directory, and
//! answered with the URL that `photoUrls` accepts. `GET /uploads/{name}`
//! serves them to whoever holds a signed URL the API handed out (within its
//! expiry) and to their uploader (bearer token); to anyone else they do not
//! exist (404).

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

use domain::DomainError;
use domain::uploads::{MAX_UPLOAD_BYTES, is_upload_name};

use crate::http::{authenticate, domain_error_response, error_response};
use crate::state::AppState;

pub async fn upload(req: HttpRequest, mut payload: Multipart, state: web::Data<AppState>) -> HttpResponse {
    let who = match authenticate(&state, &req).await {
        Ok(Some(who)) => who,
        Ok(None) => {
            return domain_error_response(&DomainError::Unauthenticated("请先登录再上传照片".into()));
        }
        Err(e) => return domain_error_response(&e),
    };
    let mut bytes: Vec<u8> = Vec::new();
    let mut found = false;
    while let Some(field) = payload.next().await {
        let Ok(mut field) = field else {
            return domain_error_response(&DomainError::bad_input("file", "上传的数据格式不对，请重新上传"));
        };
        let is_file = field.content_disposition().is_some_and(|cd| cd.get_filename().is_some());
        if !is_file || found {
            // Other form fields (wx.uploadFile's formData) are drained and ignored.
            while let Some(chunk) = field.next().await {
                if chunk.is_err() {
                    break;
                }
            }
            continue;
        }
        found = true;
        while let Some(chunk) = field.next().await {
            let Ok(chunk) = chunk else {
                return domain_error_response(&DomainError::bad_input("file", "上传中断了，请重新上传"));
            };
            if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                return error_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "BAD_USER_INPUT",
                    "照片不能超过 5 MB",
                    "application/json; charset=utf-8",
                );
            }
            bytes.extend_from_slice(&chunk);
        }
    }
    if !found {
        return domain_error_response(&DomainError::bad_input("file", "请选择要上传的照片"));
    }
    let kind = match domain::uploads::check(&bytes) {
        Ok(kind) => kind,
        Err(e) => return domain_error_response(&e),
    };
    let bytes = match domain::uploads::strip_metadata(kind, &bytes) {
        Ok(stripped) => stripped,
        Err(e) => return domain_error_response(&e),
    };
    let name = format!("{}.{}", uuid::Uuid::new_v4().simple(), kind.extension());
    let uploads = state.domain.uploads();
    // Recorded first, within the quota: a refused upload writes no file.
    if let Err(e) = uploads.record(who.user_id, &name, kind, bytes.len()).await {
        return domain_error_response(&e);
    }
    if let Err(e) = tokio::fs::write(state.upload_dir.join(&name), &bytes).await {
        if let Err(forget) = uploads.forget(&name).await {
            tracing::error!(upload = %name, error = %forget, "an upload whose file failed stays recorded");
        }
        return domain_error_response(&DomainError::internal(format!("upload write failed: {e}")));
    }
    let url = format!("{}{}", state.domain.settings.upload_url_prefix, name);
    HttpResponse::Created().json(json!({
        "url": url,
        "viewUrl": uploads.signed(&url),
        "id": name,
        "contentType": kind.content_type(),
        "size": bytes.len(),
    }))
}

/// `?exp=<unix seconds>&sig=<hex>`, as [`domain::uploads::Uploads::signed`] writes it.
#[derive(Deserialize)]
struct Signature {
    exp: i64,
    sig: String,
}

/// 404 in the GraphQL error shape, for a photo that is not there or not yours to see.
fn not_found() -> HttpResponse {
    domain_error_response(&DomainError::NotFound("photo"))
}

pub async fn serve(req: HttpRequest, path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let name = path.into_inner();
    if !is_upload_name(&name) {
        return not_found();
    }
    let uploads = state.domain.uploads();
    let signed = web::Query::<Signature>::from_query(req.query_string())
        .ok()
        .filter(|q| uploads.signature_valid(&name, q.exp, &q.sig));
    let cache = match &signed {
        Some(q) => {
            let left = (q.exp - state.domain.clock.now().timestamp()).max(0);
            format!("private, max-age={left}")
        }
        None => {
            // Without a signature: only the uploader, by bearer token.
            let who = match authenticate(&state, &req).await {
                Ok(Some(who)) => who,
                Ok(None) | Err(DomainError::Unauthenticated(_)) => return not_found(),
                Err(e) => return domain_error_response(&e),
            };
            match uploads.owner_of(&name).await {
                Ok(Some(owner)) if owner == who.user_id => "private, no-cache".to_owned(),
                Ok(_) => return not_found(),
                Err(e) => return domain_error_response(&e),
            }
        }
    };
    // A photo WeChat's media check judged risky is withdrawn on every node.
    match state.domain.content().upload_withdrawn(&name).await {
        Ok(false) => {}
        Ok(true) => return not_found(),
        Err(e) => return domain_error_response(&e),
    }
    let Ok(file) = actix_files::NamedFile::open_async(state.upload_dir.join(&name)).await else {
        return not_found();
    };
    let mut response = file.use_etag(true).use_last_modified(true).into_response(&req);
    if let Ok(value) = HeaderValue::from_str(&cache) {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}
