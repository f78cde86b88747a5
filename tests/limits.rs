// What one request and one user may cost: rate limits, query limits, body
// size, batching and the request timeout.

use crate::common::*;
use serde_json::{Value, json};

const RENAME: &str = "mutation($n: String!) { setDisplayName(displayName: $n) { id displayName } }";

async fn rename(app: &TestApp, session: &Session, name: &str) -> Value {
    app.gql(Some(&session.access_token), RENAME, json!({ "n": name })).await
}

async fn my_name(app: &TestApp, session: &Session) -> String {
    let me = app.gql(Some(&session.access_token), "{ me { displayName } }", json!({})).await;
    data(&me, "me")["displayName"].as_str().unwrap().to_owned()
}

fn assert_code(response: &Value, code: &str) {
    assert_eq!(error_code(response), code, "{response}");
}

/// `{ a0: __typename a1: __typename … }` with `n` aliases.
fn aliased_typenames(n: usize) -> String {
    let fields: Vec<String> = (0..n).map(|i| format!("a{i}: __typename")).collect();
    format!("{{ {} }}", fields.join(" "))
}

/// Introspection nested `levels` deep: `__schema { types { fields { type { ofType … { name } } } } }`.
fn introspection_of_depth(levels: usize) -> String {
    assert!(levels >= 5);
    let of_types = levels - 5;
    let mut inner = "name".to_owned();
    for _ in 0..of_types {
        inner = format!("ofType {{ {inner} }}");
    }
    format!("{{ __schema {{ types {{ fields {{ type {{ {inner} }} }} }} }} }}")
}

async fn post_raw(app: &TestApp, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(format!("{}/graphql", app.address))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

// ---- per-user mutation rate ----

#[tokio::test]
async fn a_fourth_mutation_by_the_same_user_within_a_minute_is_rate_limited_when_the_limit_is_three() {
    let app = spawn_app_with(|c| c.limits.mutations_per_minute = 3).await;
    let resident = app.login("demo-resident-1").await;
    for i in 1..=3 {
        let response = rename(&app, &resident, &format!("邻居{i}")).await;
        assert_eq!(data(&response, "setDisplayName")["displayName"], format!("邻居{i}"));
    }
    let response = rename(&app, &resident, "邻居4").await;
    assert_code(&response, "RATE_LIMITED");
    assert!(response["data"].is_null() || response["data"]["setDisplayName"].is_null(), "{response}");
    assert_eq!(my_name(&app, &resident).await, "邻居3", "the refused mutation did not run");
}

#[tokio::test]
async fn another_user_can_still_make_changes_while_one_is_rate_limited() {
    let app = spawn_app_with(|c| c.limits.mutations_per_minute = 3).await;
    let busy = app.login("demo-resident-1").await;
    let neighbour = app.login("demo-resident-2").await;
    for i in 1..=3 {
        data(&rename(&app, &busy, &format!("忙碌{i}")).await, "setDisplayName");
    }
    assert_code(&rename(&app, &busy, "忙碌4").await, "RATE_LIMITED");
    let response = rename(&app, &neighbour, "邻居").await;
    assert_eq!(data(&response, "setDisplayName")["displayName"], "邻居");
}

#[tokio::test]
async fn the_mutation_limit_is_per_user_not_per_session() {
    let app = spawn_app_with(|c| c.limits.mutations_per_minute = 3).await;
    let phone = app.login("demo-resident-1").await;
    let tablet = app.login("demo-resident-1").await;
    for i in 1..=3 {
        data(&rename(&app, &phone, &format!("手机{i}")).await, "setDisplayName");
    }
    assert_code(&rename(&app, &tablet, "平板").await, "RATE_LIMITED");
}

#[tokio::test]
async fn queries_are_not_rate_limited() {
    let app = spawn_app_with(|c| c.limits.mutations_per_minute = 3).await;
    let resident = app.login("demo-resident-1").await;
    for i in 1..=3 {
        data(&rename(&app, &resident, &format!("邻居{i}")).await, "setDisplayName");
    }
    assert_code(&rename(&app, &resident, "邻居4").await, "RATE_LIMITED");
    for _ in 0..10 {
        assert_eq!(my_name(&app, &resident).await, "邻居3");
    }
}

#[tokio::test]
async fn signing_in_is_not_held_back_by_the_mutation_limit() {
    let app = spawn_app_with(|c| c.limits.mutations_per_minute = 3).await;
    let resident = app.login("demo-resident-1").await;
    for i in 1..=3 {
        data(&rename(&app, &resident, &format!("邻居{i}")).await, "setDisplayName");
    }
    assert_code(&rename(&app, &resident, "邻居4").await, "RATE_LIMITED");
    // Signing in and refreshing need no user, so the user's limit does not apply.
    let again = app.login("demo-resident-1").await;
    let refreshed = app
        .gql(
            None,
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
            json!({ "t": again.refresh_token }),
        )
        .await;
    assert!(data(&refreshed, "refreshSession")["accessToken"].is_string());
}

#[tokio::test]
async fn a_busy_user_makes_sixty_changes_a_minute_under_the_default_limit() {
    let app = spawn_app().await;
    assert_eq!(app.config.limits.mutations_per_minute, 60);
    let resident = app.login("demo-resident-1").await;
    for i in 1..=60 {
        let response = rename(&app, &resident, &format!("邻居{i}")).await;
        assert!(response.get("errors").is_none(), "change {i} was refused: {response}");
    }
    assert_code(&rename(&app, &resident, "邻居61").await, "RATE_LIMITED");
}

#[tokio::test]
async fn an_authenticated_mutation_costs_one_session_store_round_trip_with_its_rate_limit_hit() {
    let app = spawn_app_with(|c| c.limits.mutations_per_minute = 2).await;
    let resident = app.login("demo-resident-1").await;
    let before = app.store_round_trips().await;
    data(&rename(&app, &resident, "邻居1").await, "setDisplayName");
    let after_mutation = app.store_round_trips().await;
    assert_eq!(after_mutation - before, 1, "the session check and the rate-limit hit share one round trip");
    assert_eq!(my_name(&app, &resident).await, "邻居1");
    let after_query = app.store_round_trips().await;
    assert_eq!(after_query - after_mutation, 1, "a query costs one round trip too");
    // The hit still counts: the limit of two holds.
    data(&rename(&app, &resident, "邻居2").await, "setDisplayName");
    assert_code(&rename(&app, &resident, "邻居3").await, "RATE_LIMITED");
    assert_eq!(app.store_round_trips().await - after_query, 2, "a refused mutation costs no extra round trip");
}

#[tokio::test]
async fn a_session_ended_on_one_request_is_refused_on_the_next_with_one_round_trip_each() {
    let app = spawn_app().await;
    let resident = app.login("demo-resident-1").await;
    let ended = app.gql(Some(&resident.access_token), "mutation { logout }", json!({})).await;
    assert!(ended.get("errors").is_none(), "{ended}");
    let before = app.store_round_trips().await;
    assert_code(&rename(&app, &resident, "邻居").await, "UNAUTHENTICATED");
    assert_eq!(app.store_round_trips().await - before, 1);
}

#[tokio::test]
async fn sign_ins_beyond_the_per_openid_limit_are_rate_limited_for_that_openid_only() {
    let app = spawn_app_with(|c| c.limits.logins_per_openid_per_minute = 2).await;
    let login = "mutation($code: String!) { wechatLogin(code: $code) { accessToken } }";
    for _ in 0..2 {
        let response = app.gql(None, login, json!({ "code": "dev:eager-neighbour" })).await;
        assert!(data(&response, "wechatLogin")["accessToken"].is_string());
    }
    let response = app.gql(None, login, json!({ "code": "dev:eager-neighbour" })).await;
    assert_code(&response, "RATE_LIMITED");
    let other = app.gql(None, login, json!({ "code": "dev:calm-neighbour" })).await;
    assert!(data(&other, "wechatLogin")["accessToken"].is_string());
}

/// `mutation { m0: setDisplayName(displayName: "<prefix>0") { displayName } … }` with `n` fields.
fn renames(prefix: &str, n: usize) -> String {
    let fields: Vec<String> =
        (0..n).map(|i| format!("m{i}: setDisplayName(displayName: \"{prefix}{i}\") {{ displayName }}")).collect();
    format!("mutation {{ {} }}", fields.join(" "))
}

#[tokio::test]
async fn forty_aliased_mutations_in_one_request_are_refused_as_a_whole_and_none_of_them_runs() {
    let app = spawn_app().await;
    let resident = app.login("demo-resident-1").await;
    let before = my_name(&app, &resident).await;
    let response = app.gql(Some(&resident.access_token), &renames("批量", 40), json!({})).await;
    assert_code(&response, "QUERY_TOO_COMPLEX");
    assert!(response["data"].is_null(), "{response}");
    assert_eq!(my_name(&app, &resident).await, before, "not one of the forty ran");
}

#[tokio::test]
async fn ten_mutation_fields_in_one_document_are_allowed_and_eleven_are_too_complex() {
    let app = spawn_app().await;
    assert_eq!(app.config.limits.max_mutation_fields, 10);
    let resident = app.login("demo-resident-1").await;
    let ten = app.gql(Some(&resident.access_token), &renames("十", 10), json!({})).await;
    assert_eq!(data(&ten, "m9")["displayName"], "十9");
    let eleven = app.gql(Some(&resident.access_token), &renames("十一", 11), json!({})).await;
    assert_code(&eleven, "QUERY_TOO_COMPLEX");
    assert_eq!(my_name(&app, &resident).await, "十9", "the eleven did not run");
    // Fragments count too, and so does a second mutation operation in the document.
    let spread = format!(
        "mutation A {{ ...Six }} mutation B {{ ...Six }} fragment Six on Mutation {{ {} }}",
        (0..6).map(|i| format!("f{i}: setDisplayName(displayName: \"片{i}\") {{ id }}")).collect::<Vec<_>>().join(" ")
    );
    let body = json!({ "query": spread, "operationName": "A" });
    let response: Value = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&resident.access_token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_code(&response, "QUERY_TOO_COMPLEX");
    assert_eq!(my_name(&app, &resident).await, "十9");
}

#[tokio::test]
async fn every_mutation_field_counts_against_the_per_user_limit() {
    let app = spawn_app_with(|c| c.limits.mutations_per_minute = 12).await;
    let resident = app.login("demo-resident-1").await;
    let before = app.store_round_trips().await;
    let ten = app.gql(Some(&resident.access_token), &renames("甲", 10), json!({})).await;
    assert_eq!(data(&ten, "m9")["displayName"], "甲9");
    assert_eq!(app.store_round_trips().await - before, 1, "ten hits, one round trip with the session check");
    // Two more make twelve; a document of three after ten would make thirteen and is refused whole.
    let three = app.gql(Some(&resident.access_token), &renames("乙", 3), json!({})).await;
    assert_code(&three, "RATE_LIMITED");
    assert!(three["data"].is_null(), "{three}");
    assert_eq!(my_name(&app, &resident).await, "甲9", "the refused document ran nothing");
    // Under the old per-request count, the neighbour's ten-field document would be one of twelve.
    let neighbour = app.login("demo-resident-2").await;
    data(&app.gql(Some(&neighbour.access_token), &renames("丙", 10), json!({})).await, "m9");
    data(&app.gql(Some(&neighbour.access_token), &renames("丁", 2), json!({})).await, "m1");
    assert_code(&rename(&app, &neighbour, "戊").await, "RATE_LIMITED");
    assert_eq!(my_name(&app, &neighbour).await, "丁1");
}

#[tokio::test]
async fn signing_out_still_works_for_a_user_at_the_mutation_limit() {
    let app = spawn_app_with(|c| c.limits.mutations_per_minute = 2).await;
    let resident = app.login("demo-resident-1").await;
    data(&app.gql(Some(&resident.access_token), &renames("满", 2), json!({})).await, "m1");
    assert_code(&rename(&app, &resident, "再改").await, "RATE_LIMITED");
    let out = app.gql(Some(&resident.access_token), "mutation { logout }", json!({})).await;
    assert_eq!(data(&out, "logout"), true);
}

#[tokio::test]
async fn a_fragment_that_spreads_itself_is_refused_without_harming_the_server() {
    let app = spawn_app().await;
    let resident = app.login("demo-resident-1").await;
    for query in [
        "mutation { ...Again } fragment Again on Mutation { ...Again }",
        "mutation { ...A } fragment A on Mutation { ...B } fragment B on Mutation { ...A logout }",
        "query { ...Q } fragment Q on Query { ...Q }",
    ] {
        let response = app.gql(Some(&resident.access_token), query, json!({})).await;
        assert!(response["errors"].as_array().is_some_and(|e| !e.is_empty()), "{query}: {response}");
        assert!(response["data"].is_null(), "{response}");
    }
    assert_eq!(data(&rename(&app, &resident, "还在").await, "setDisplayName")["displayName"], "还在");
}

// ---- query depth, aliases, complexity ----

#[tokio::test]
async fn a_query_nested_deeper_than_ten_levels_is_too_complex() {
    let app = spawn_app().await;
    assert_eq!(app.config.limits.max_depth, 10);
    let ok = app.gql(None, &introspection_of_depth(10), json!({})).await;
    assert!(data(&ok, "__schema")["types"].is_array(), "depth 10 is allowed: {ok}");
    let response = app.gql(None, &introspection_of_depth(11), json!({})).await;
    assert_code(&response, "QUERY_TOO_COMPLEX");
    assert!(response["data"].is_null(), "{response}");
}

#[tokio::test]
async fn the_depth_limit_is_configurable() {
    let app = spawn_app_with(|c| c.limits.max_depth = 3).await;
    let s = app.login("demo-resident-1").await;
    let shallow = app.gql(Some(&s.access_token), "{ me { memberships { roles } } }", json!({})).await;
    assert!(data(&shallow, "me")["memberships"].is_array());
    let deep = app.gql(Some(&s.access_token), "{ me { memberships { community { name } } } }", json!({})).await;
    assert_code(&deep, "QUERY_TOO_COMPLEX");
}

#[tokio::test]
async fn fifty_aliases_are_allowed_and_fifty_one_are_too_complex() {
    let app = spawn_app().await;
    assert_eq!(app.config.limits.max_aliases, 50);
    let fifty = app.gql(None, &aliased_typenames(50), json!({})).await;
    assert_eq!(data(&fifty, "a49"), "Query");
    let response = app.gql(None, &aliased_typenames(51), json!({})).await;
    assert_code(&response, "QUERY_TOO_COMPLEX");
    assert!(response["data"].is_null(), "{response}");
}

#[tokio::test]
async fn aliases_inside_fragments_count_too() {
    let app = spawn_app().await;
    let fields: Vec<String> = (0..51).map(|i| format!("a{i}: __typename")).collect();
    let query = format!("query {{ ...Many }} fragment Many on Query {{ {} }}", fields.join(" "));
    let response = app.gql(None, &query, json!({})).await;
    assert_code(&response, "QUERY_TOO_COMPLEX");
    let inline = format!("query {{ ... on Query {{ {} }} }}", fields.join(" "));
    assert_code(&app.gql(None, &inline, json!({})).await, "QUERY_TOO_COMPLEX");
}

#[tokio::test]
async fn a_query_over_the_complexity_limit_is_too_complex() {
    let app = spawn_app_with(|c| c.limits.max_complexity = 5).await;
    let s = app.login("demo-resident-1").await;
    let cheap = app.gql(Some(&s.access_token), "{ me { id } }", json!({})).await;
    assert_eq!(data(&cheap, "me")["id"], s.user_id.as_str());
    let response = app
        .gql(
            Some(&s.access_token),
            "{ me { id displayName phone phoneVerified memberships { roles community { id name } } } }",
            json!({}),
        )
        .await;
    assert_code(&response, "QUERY_TOO_COMPLEX");
    assert!(response["data"].is_null(), "{response}");
}

#[tokio::test]
async fn the_page_size_multiplies_what_each_order_costs() {
    let app = spawn_app_with(|c| c.limits.max_complexity = 1000).await;
    let s = app.login("demo-secretary").await;
    let query = "{ orders(first: 100) { nodes { id status category title description address contactPhone \
                 contactMasked photoUrls createdAt updatedAt community { id name } placedBy { id displayName } \
                 claimant { id displayName } history { toStatus at note actor { id displayName } } } } }";
    let response = app.gql(Some(&s.access_token), query, json!({})).await;
    assert_code(&response, "QUERY_TOO_COMPLEX");
    // The same selection for a page of ten is fine.
    let small = query.replace("first: 100", "first: 10");
    assert!(data(&app.gql(Some(&s.access_token), &small, json!({})).await, "orders")["nodes"].is_array());
}

#[tokio::test]
async fn a_too_complex_mutation_is_refused_before_it_changes_anything() {
    let app = spawn_app_with(|c| c.limits.max_depth = 3).await;
    let s = app.login("demo-resident-1").await;
    let before = my_name(&app, &s).await;
    let deep = "mutation { setDisplayName(displayName: \"改了\") { memberships { community { name } } } }";
    assert_code(&app.gql(Some(&s.access_token), deep, json!({})).await, "QUERY_TOO_COMPLEX");
    let aliased = "mutation { a: setDisplayName(displayName: \"改了\") { id } }";
    let app_aliases = spawn_app_with(|c| c.limits.max_aliases = 0).await;
    let t = app_aliases.login("demo-resident-1").await;
    let before_aliases = my_name(&app_aliases, &t).await;
    assert_code(&app_aliases.gql(Some(&t.access_token), aliased, json!({})).await, "QUERY_TOO_COMPLEX");
    assert_eq!(my_name(&app, &s).await, before);
    assert_eq!(my_name(&app_aliases, &t).await, before_aliases);
}

// ---- page size ----

#[tokio::test]
async fn asking_for_more_than_a_hundred_orders_is_bad_user_input() {
    let app = spawn_app().await;
    let s = app.login("demo-secretary").await;
    let hundred = app.gql(Some(&s.access_token), "{ orders(first: 100) { totalCount } }", json!({})).await;
    assert!(data(&hundred, "orders")["totalCount"].is_number());
    for first in [101, 0, -1] {
        let response = app
            .gql(Some(&s.access_token), "query($f: Int) { orders(first: $f) { totalCount } }", json!({ "f": first }))
            .await;
        assert_code(&response, "BAD_USER_INPUT");
        assert_eq!(response["errors"][0]["extensions"]["field"], "first", "{response}");
    }
    let community = app.community_id(CHENGNAN).await;
    let pool = app
        .gql(
            Some(&s.access_token),
            "query($c: ID!) { orderPool(communityId: $c, first: 101) { totalCount } }",
            json!({ "c": community }),
        )
        .await;
    assert_code(&pool, "BAD_USER_INPUT");
}

// ---- body size, batching, timeout ----

#[tokio::test]
async fn a_body_larger_than_the_limit_is_refused_with_413() {
    let app = spawn_app().await;
    assert_eq!(app.config.limits.max_body_bytes, 65536);
    let padding = "#".repeat(70_000);
    let body = serde_json::to_vec(&json!({ "query": format!("{{ __typename }}\n{padding}") })).unwrap();
    let response = post_raw(&app, body).await;
    assert_eq!(response.status(), 413);
    // Just under the limit is fine.
    let padding = "#".repeat(60_000);
    let body = serde_json::to_vec(&json!({ "query": format!("{{ __typename }}\n{padding}") })).unwrap();
    let response = post_raw(&app, body).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(data(&body, "__typename"), "Query");
}

#[tokio::test]
async fn the_body_limit_is_configurable() {
    let app = spawn_app_with(|c| c.limits.max_body_bytes = 1024).await;
    let body = serde_json::to_vec(&json!({ "query": format!("{{ __typename }}\n#{}", "x".repeat(2000)) })).unwrap();
    assert_eq!(post_raw(&app, body).await.status(), 413);
    let body = serde_json::to_vec(&json!({ "query": "{ __typename }" })).unwrap();
    assert_eq!(post_raw(&app, body).await.status(), 200);
}

#[tokio::test]
async fn a_batched_request_is_refused_with_400() {
    let app = spawn_app().await;
    let body = serde_json::to_vec(&json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }])).unwrap();
    let response = post_raw(&app, body).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body["errors"].as_array().is_some_and(|e| !e.is_empty()), "{body}");
    assert!(body.get("data").is_none() || body["data"].is_null(), "{body}");
    let single = serde_json::to_vec(&json!([{ "query": "{ __typename }" }])).unwrap();
    assert_eq!(post_raw(&app, single).await.status(), 400);
}

#[tokio::test]
async fn a_request_that_outlives_the_timeout_is_stopped_with_timeout() {
    let app = spawn_app_with(|c| c.limits.request_timeout_seconds = 0).await;
    // Signing in touches the database, so it cannot finish in no time at all.
    let response = app
        .gql(
            None,
            "mutation($c: String!) { wechatLogin(code: $c) { accessToken } }",
            json!({ "c": "dev:demo-resident-1" }),
        )
        .await;
    assert_code(&response, "TIMEOUT");
    assert!(response["data"].is_null() || response["data"]["wechatLogin"].is_null(), "{response}");
}
