//! `POST /uploads`: photos from `wx.uploadFile` (multipart), checked by
//! content and size, stored under the data directory, answered with the URL
//! that `photoUrls` accepts. `GET /uploads/{name}` serves them.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde_json::json;

use domain::DomainError;
use domain::uploads::MAX_UPLOAD_BYTES;

use crate::http::{authenticate, domain_error_response, error_response};
use crate::state::AppState;

pub async fn upload(req: HttpRequest, mut payload: Multipart, state: web::Data<AppState>) -> HttpResponse {
    let who = match authenticate(&state, &req).await {
        Ok(Some(who)) => who,
        Ok(None) => {
            return domain_error_response(&DomainError::Unauthenticated("sign in before uploading photos".into()));
        }
        Err(e) => return domain_error_response(&e),
    };
    let mut bytes: Vec<u8> = Vec::new();
    let mut found = false;
    while let Some(field) = payload.next().await {
        let Ok(mut field) = field else {
            return domain_error_response(&DomainError::bad_input("file", "the upload is not valid multipart data"));
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
                return domain_error_response(&DomainError::bad_input("file", "the upload was interrupted; try again"));
            };
            if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                return error_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "BAD_USER_INPUT",
                    "photos must be 5 MB or smaller",
                    "application/json; charset=utf-8",
                );
            }
            bytes.extend_from_slice(&chunk);
        }
    }
    if !found {
        return domain_error_response(&DomainError::bad_input("file", "send the photo as a file field"));
    }
    let kind = match domain::uploads::check(&bytes) {
        Ok(kind) => kind,
        Err(e) => return domain_error_response(&e),
    };
    let name = format!("{}.{}", uuid::Uuid::new_v4().simple(), kind.extension());
    if let Err(e) = tokio::fs::write(state.upload_dir.join(&name), &bytes).await {
        return domain_error_response(&DomainError::internal(format!("upload write failed: {e}")));
    }
    if let Err(e) = state.domain.uploads().record(who.user_id, &name, kind, bytes.len()).await {
        return domain_error_response(&e);
    }
    let url = format!("{}{}", state.domain.settings.upload_url_prefix, name);
    HttpResponse::Created()
        .json(json!({ "url": url, "id": name, "contentType": kind.content_type(), "size": bytes.len() }))
}

pub async fn serve(path: web::Path<String>, state: web::Data<AppState>) -> actix_web::Result<actix_files::NamedFile> {
    let name = path.into_inner();
    let safe =
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.') && !name.starts_with('.');
    if !safe {
        return Err(actix_web::error::ErrorNotFound("not found"));
    }
    // A photo WeChat's media check judged risky is withdrawn on every node.
    match state.domain.content().upload_withdrawn(&name).await {
        Ok(false) => {}
        Ok(true) => return Err(actix_web::error::ErrorNotFound("not found")),
        Err(e) => return Err(actix_web::error::ErrorServiceUnavailable(e.public_message())),
    }
    actix_files::NamedFile::open_async(state.upload_dir.join(name))
        .await
        .map_err(|_| actix_web::error::ErrorNotFound("not found"))
}
