// The HTTP side of /graphql (GraphQL over HTTP), GraphiQL, health,
// readiness and metrics.

use crate::common::*;
use reqwest::header::{ACCEPT, ALLOW, CONTENT_TYPE};
use serde_json::{Value, json};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

fn url(app: &TestApp, path: &str) -> String {
    format!("{}{path}", app.address)
}

fn content_type(response: &reqwest::Response) -> String {
    response.headers().get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// A POST of `body` as JSON with an optional `Accept`.
async fn post(app: &TestApp, accept: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = app.client.post(url(app, "/graphql")).json(body);
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    request.send().await.unwrap()
}

/// Status, content type and JSON body of a response.
async fn read(response: reqwest::Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let content_type = content_type(&response);
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, content_type, body)
}

fn has_errors(body: &Value) -> bool {
    body["errors"].as_array().is_some_and(|e| !e.is_empty())
}

async fn get_graphql(app: &TestApp, query: &[(&str, &str)], accept: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(url(app, "/graphql")).query(query);
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    request.send().await.unwrap()
}

async fn production_app() -> TestApp {
    spawn_app_with(|c| {
        c.env = api::config::Environment::Production;
        c.dev_login = None;
    })
    .await
}

// ---- POST ----

#[tokio::test]
async fn a_post_that_is_not_application_json_is_refused_with_415() {
    let app = spawn_app().await;
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "application/graphql"] {
        let response = app
            .client
            .post(url(&app, "/graphql"))
            .header(CONTENT_TYPE, content_type)
            .body(r#"{"query":"{ __typename }"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 415, "{content_type}");
    }
    let response = app.client.post(url(&app, "/graphql")).body(r#"{"query":"{ __typename }"}"#).send().await.unwrap();
    assert_eq!(response.status(), 415, "no content type at all");
}

#[tokio::test]
async fn a_post_of_application_json_with_a_charset_is_accepted() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(url(&app, "/graphql"))
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .unwrap();
    let (status, _, body) = read(response).await;
    assert_eq!(status, 200);
    assert_eq!(data(&body, "__typename"), "Query");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_with_400() {
    let app = spawn_app().await;
    for body in ["{ __typename }", "{\"query\": ", ""] {
        let response = app
            .client
            .post(url(&app, "/graphql"))
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, _, json) = read(response).await;
        assert_eq!(status, 400, "{body:?}");
        assert!(has_errors(&json), "{json}");
    }
}

#[tokio::test]
async fn a_body_without_a_query_is_refused_with_400() {
    let app = spawn_app().await;
    for body in [json!({}), json!({ "variables": {} }), json!({ "query": null }), json!({ "query": 42 })] {
        let (status, _, json) = read(post(&app, None, &body).await).await;
        assert_eq!(status, 400, "{body}");
        assert!(has_errors(&json), "{json}");
    }
}

#[tokio::test]
async fn a_client_accepting_graphql_response_json_gets_that_content_type() {
    let app = spawn_app().await;
    let (status, content_type, body) =
        read(post(&app, Some(GRAPHQL_RESPONSE_JSON), &json!({ "query": "{ __typename }" })).await).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with(GRAPHQL_RESPONSE_JSON), "{content_type}");
    assert_eq!(data(&body, "__typename"), "Query");
}

#[tokio::test]
async fn a_client_preferring_graphql_response_json_among_others_gets_it() {
    let app = spawn_app().await;
    let accept = "application/graphql-response+json, application/json;q=0.9";
    let (status, content_type, _) = read(post(&app, Some(accept), &json!({ "query": "{ __typename }" })).await).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with(GRAPHQL_RESPONSE_JSON), "{content_type}");
}

#[tokio::test]
async fn a_syntax_error_is_400_for_graphql_response_json_clients() {
    let app = spawn_app().await;
    let (status, content_type, body) =
        read(post(&app, Some(GRAPHQL_RESPONSE_JSON), &json!({ "query": "{ __typename" })).await).await;
    assert_eq!(status, 400, "{body}");
    assert!(content_type.starts_with(GRAPHQL_RESPONSE_JSON), "{content_type}");
    assert!(has_errors(&body), "{body}");
    assert!(body.get("data").is_none() || body["data"].is_null(), "{body}");
}

#[tokio::test]
async fn a_validation_error_is_400_for_graphql_response_json_clients() {
    let app = spawn_app().await;
    let (status, content_type, body) =
        read(post(&app, Some(GRAPHQL_RESPONSE_JSON), &json!({ "query": "{ noSuchField }" })).await).await;
    assert_eq!(status, 400, "{body}");
    assert!(content_type.starts_with(GRAPHQL_RESPONSE_JSON), "{content_type}");
    assert!(has_errors(&body), "{body}");
}

#[tokio::test]
async fn syntax_and_validation_errors_are_200_for_application_json_clients() {
    let app = spawn_app().await;
    for accept in [Some("application/json"), None] {
        for query in ["{ __typename", "{ noSuchField }"] {
            let (status, content_type, body) = read(post(&app, accept, &json!({ "query": query })).await).await;
            assert_eq!(status, 200, "{accept:?} {query}: {body}");
            assert!(content_type.starts_with("application/json"), "{content_type}");
            assert!(has_errors(&body), "{body}");
        }
    }
}

async fn assert_field_error_is_200(accept: Option<&str>) {
    let app = spawn_app().await;
    let (status, content_type, body) = read(post(&app, accept, &json!({ "query": "{ me { id } }" })).await).await;
    assert_eq!(status, 200, "{accept:?}: {body}");
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    let expected = accept.unwrap_or("application/json");
    assert!(content_type.starts_with(expected), "{accept:?}: {content_type}");
}

#[tokio::test]
async fn a_field_error_during_execution_is_200_for_application_json_clients() {
    assert_field_error_is_200(Some("application/json")).await;
    assert_field_error_is_200(None).await;
}

#[tokio::test]
async fn a_field_error_during_execution_is_200_for_graphql_response_json_clients() {
    assert_field_error_is_200(Some(GRAPHQL_RESPONSE_JSON)).await;
}

#[tokio::test]
async fn a_client_accepting_only_csv_is_refused_with_406() {
    let app = spawn_app().await;
    let response = post(&app, Some("text/csv"), &json!({ "query": "{ __typename }" })).await;
    assert_eq!(response.status(), 406);
    let response = get_graphql(&app, &[("query", "{ __typename }")], Some("text/csv")).await;
    assert_eq!(response.status(), 406);
}

#[tokio::test]
async fn operation_name_picks_one_operation_of_several() {
    let app = spawn_app().await;
    let body = json!({
        "query": "query A { a: __typename } query B { b: __typename }",
        "operationName": "B",
    });
    let (status, _, body) = read(post(&app, None, &body).await).await;
    assert_eq!(status, 200);
    assert_eq!(data(&body, "b"), "Query");
    assert!(body["data"].get("a").is_none(), "{body}");
}

// ---- GET and other methods ----

#[tokio::test]
async fn a_query_over_get_returns_data() {
    let app = spawn_app().await;
    let (status, content_type, body) = read(get_graphql(&app, &[("query", "{__typename}")], None).await).await;
    assert_eq!(status, 200);
    assert!(content_type.contains("json"), "{content_type}");
    assert_eq!(data(&body, "__typename"), "Query");
}

#[tokio::test]
async fn a_query_over_get_takes_variables_and_an_operation_name() {
    let app = spawn_app().await;
    let query = "query Named($n: String!) { t: __type(name: $n) { name } } query Other { o: __typename }";
    let (status, _, body) = read(
        get_graphql(
            &app,
            &[("query", query), ("variables", r#"{"n":"Order"}"#), ("operationName", "Named")],
            Some(GRAPHQL_RESPONSE_JSON),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(data(&body, "t")["name"], "Order");
}

#[tokio::test]
async fn a_signed_in_query_over_get_sees_the_user() {
    let app = spawn_app().await;
    let s = app.login("demo-resident-1").await;
    let response = app
        .client
        .get(url(&app, "/graphql"))
        .query(&[("query", "{ me { id } }")])
        .bearer_auth(&s.access_token)
        .send()
        .await
        .unwrap();
    let (status, _, body) = read(response).await;
    assert_eq!(status, 200);
    assert_eq!(data(&body, "me")["id"], s.user_id.as_str());
}

#[tokio::test]
async fn a_mutation_over_get_is_refused_with_405_allowing_post() {
    let app = spawn_app().await;
    let s = app.login("demo-resident-1").await;
    let response = app
        .client
        .get(url(&app, "/graphql"))
        .query(&[("query", "mutation { setDisplayName(displayName: \"GET\") { id } }")])
        .bearer_auth(&s.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let allow = response.headers().get(ALLOW).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert!(allow.contains("POST"), "Allow: {allow:?}");
    // Nothing changed.
    let me = app.gql(Some(&s.access_token), "{ me { displayName } }", json!({})).await;
    assert_ne!(data(&me, "me")["displayName"], "GET");
    // Also when the mutation is picked by name out of several operations.
    let response =
        get_graphql(&app, &[("query", "query Q { __typename } mutation M { logout }"), ("operationName", "M")], None)
            .await;
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn put_on_graphql_is_refused_with_405() {
    let app = spawn_app().await;
    let response =
        app.client.put(url(&app, "/graphql")).json(&json!({ "query": "{ __typename }" })).send().await.unwrap();
    assert_eq!(response.status(), 405);
    let allow = response.headers().get(ALLOW).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert!(allow.contains("POST"), "Allow: {allow:?}");
    let delete = app.client.delete(url(&app, "/graphql")).send().await.unwrap();
    assert_eq!(delete.status(), 405);
}

// ---- development vs production ----

#[tokio::test]
async fn graphiql_is_served_in_development() {
    let app = spawn_app().await;
    let response = app.client.get(url(&app, "/graphql")).header(ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(content_type(&response).starts_with("text/html"), "{}", content_type(&response));
    let page = response.text().await.unwrap();
    assert!(page.to_lowercase().contains("graphiql"), "{page}");
}

#[tokio::test]
async fn graphiql_is_not_served_in_production() {
    let app = production_app().await;
    let response = app.client.get(url(&app, "/graphql")).header(ACCEPT, "text/html").send().await.unwrap();
    assert_ne!(response.status(), 200);
    assert!(!content_type(&response).starts_with("text/html"), "{}", content_type(&response));
    let page = response.text().await.unwrap();
    assert!(!page.to_lowercase().contains("graphiql"), "{page}");
}

#[tokio::test]
async fn introspection_works_in_development() {
    let app = spawn_app().await;
    let response = app.gql(None, "{ __schema { types { name } } }", json!({})).await;
    let types = data(&response, "__schema")["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Order"), "{response}");
}

const INTROSPECTION: [&str; 2] =
    ["{ __schema { types { name } } }", "{ __type(name: \"Order\") { name fields { name } } }"];

#[tokio::test]
async fn introspection_in_production_reveals_no_types() {
    let app = production_app().await;
    for query in INTROSPECTION {
        let response = app.gql(None, query, json!({})).await;
        let data = &response["data"];
        assert!(data.is_null() || (data["__schema"].is_null() && data["__type"].is_null()), "{query}: {response}");
    }
}

#[tokio::test]
async fn introspection_in_production_is_refused_with_an_error() {
    // `__schema` is non-null (`__Schema!`): a null answer needs an error.
    let app = production_app().await;
    for query in INTROSPECTION {
        let response = app.gql(None, query, json!({})).await;
        assert!(has_errors(&response), "{query}: {response}");
    }
}

#[tokio::test]
async fn unknown_fields_get_suggestions_in_development_only() {
    let dev = spawn_app().await;
    let response = dev.gql(None, "{ mee { id } }", json!({})).await;
    assert!(response.to_string().contains("me"), "{response}");
    let prod = production_app().await;
    let response = prod.gql(None, "{ mee { id } }", json!({})).await;
    assert!(has_errors(&response), "{response}");
    let message = response["errors"][0]["message"].as_str().unwrap();
    assert!(!message.to_lowercase().contains("did you mean"), "{message}");
}

// ---- health, readiness, metrics ----

#[tokio::test]
async fn healthz_answers_200() {
    let app = spawn_app().await;
    let response = app.client.get(url(&app, "/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn readyz_reports_the_database_and_the_session_store_reachable() {
    let app = spawn_app().await;
    let response = app.client.get(url(&app, "/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["database"], true, "{body}");
    assert_eq!(body["sessionStore"], true, "{body}");
}

#[tokio::test]
async fn metrics_count_graphql_requests_by_operation_name() {
    let app = spawn_app().await;
    for _ in 0..2 {
        let response = app.gql(None, "query PoolScreen { __typename }", json!({})).await;
        assert_eq!(data(&response, "__typename"), "Query");
    }
    let text = app.metrics().await;
    let line = text
        .lines()
        .find(|l| l.starts_with("linli_graphql_requests_total{") && l.contains("operation=\"PoolScreen\""))
        .unwrap_or_else(|| panic!("no request counter for PoolScreen:\n{text}"));
    let count: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 2.0, "{line}");
    assert!(text.contains("linli_graphql_request_duration_seconds"), "{text}");
}

#[tokio::test]
async fn metrics_take_the_operation_name_from_the_request_too() {
    let app = spawn_app().await;
    let body =
        json!({ "query": "query A { __typename } query OrderDetail { __typename }", "operationName": "OrderDetail" });
    let (status, _, _) = read(post(&app, None, &body).await).await;
    assert_eq!(status, 200);
    let text = app.metrics().await;
    assert!(
        text.lines().any(|l| l.starts_with("linli_graphql_requests_total{") && l.contains("operation=\"OrderDetail\"")),
        "{text}"
    );
}

#[tokio::test]
async fn metrics_are_served_on_their_own_address_and_not_on_the_public_one() {
    let app = spawn_app().await;
    assert_eq!(api::Config::defaults().unwrap().metrics_bind, "127.0.0.1:9090");
    assert_ne!(app.metrics_address, app.address, "the test server binds /metrics apart, on port 0");
    data(&app.gql(None, "query PoolScreen { __typename }", json!({})).await, "__typename");
    let public = app.client.get(url(&app, "/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404, "the public listener does not serve /metrics");
    assert!(!public.text().await.unwrap().contains("linli_graphql_requests_total"));
    let private = app.client.get(format!("{}/metrics", app.metrics_address)).send().await.unwrap();
    assert_eq!(private.status(), 200);
    assert!(private.text().await.unwrap().contains("operation=\"PoolScreen\""));
    // Only /metrics lives there: the API is not reachable through the metrics listener.
    let graphql = app
        .client
        .post(format!("{}/graphql", app.metrics_address))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(graphql.status(), 404);
}
