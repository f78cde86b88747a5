// 吹哨报到 end to end: the community escalates, the street routes, a
// department accepts, asks, completes; the street confirms and the resident
// rates. Returning, resolving at the street, the race between two
// reviewers, the two deadlines, and who may see and do what.

use chrono::Duration;
use domain::Clock;
use futures_util::future::join_all;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::common::*;

const FIELDS: &str = "id status claimant { id } escalatedAt department { id name } routeInstruction routedAt \
                      acceptDueAt routeDueAt departmentAcceptedAt departmentCompletedAt departmentNote \
                      informationRequests { id question answer askedBy { id } answeredBy { id } } \
                      history { actor { id } fromStatus toStatus note }";

area_world!();

impl World {
    /// An order 龙阿姨 placed, dispatched and claimed by 李党员, then escalated by the secretary.
    async fn escalated(&self) -> String {
        let placed = self
            .gql(
                "demo-resident-1",
                "mutation($c: ID!) { placeOrder(input: { communityId: $c, category: REPAIR, title: \"楼顶漏水\", \
                 description: \"雨天楼顶渗水到屋里\" }) { id } }",
                json!({ "c": self.chengnan }),
            )
            .await;
        let id = id(payload(&placed));
        self.step("demo-secretary", "dispatchOrder(orderId: $o)", json!({ "o": id }), "OPEN").await;
        self.step("demo-member-1", "claimOrder(orderId: $o)", json!({ "o": id }), "CLAIMED").await;
        let escalated = self
            .step(
                "demo-secretary",
                "escalateOrder(orderId: $o, reason: $r)",
                json!({ "o": id, "r": "需要住建部门维修屋面" }),
                "ESCALATED",
            )
            .await;
        assert!(escalated["claimant"].is_null(), "the claim ends at the street: {escalated}");
        assert!(escalated["escalatedAt"].is_string());
        id
    }

    /// One mutation on an order, as `who`: the raw response.
    async fn act(&self, who: &str, call: &str, vars: Value) -> Value {
        let params: Vec<String> = vars
            .as_object()
            .unwrap()
            .keys()
            .map(|k| {
                let ty = match k.as_str() {
                    "o" | "d" => "ID!",
                    "at" => "DateTime!",
                    _ => "String!",
                };
                format!("${k}: {ty}")
            })
            .collect();
        let query = format!("mutation({}) {{ {call} {{ {FIELDS} }} }}", params.join(", "));
        self.gql(who, &query, vars).await
    }

    /// [`World::act`], which must leave the order in `status`.
    async fn step(&self, who: &str, call: &str, vars: Value, status: &str) -> Value {
        let resp = self.act(who, call, vars).await;
        let order = payload(&resp).clone();
        assert_eq!(order["status"], status, "{who} {call}: {resp}");
        order
    }

    async fn street(&self) -> String {
        let resp =
            self.gql("demo-secretary", "{ me { memberships { community { street { id name } } } } }", json!({})).await;
        let street = &payload(&resp)["memberships"][0]["community"]["street"];
        assert_eq!(street["name"], "龙头街道");
        id(street)
    }

    /// The department named `name`, from the street's list.
    async fn department(&self, name: &str) -> String {
        let street = self.street().await;
        let resp = self
            .gql("demo-street", "query($s: ID!) { departments(streetId: $s) { id name } }", json!({ "s": street }))
            .await;
        let all = payload(&resp).as_array().unwrap().clone();
        let found = all.iter().find(|d| d["name"] == name).unwrap_or_else(|| panic!("no {name} in {all:?}"));
        id(found)
    }

    async fn route(&self, who: &str, order: &str, department: &str) -> Value {
        let due = (self.app.clock.now() + Duration::days(3)).to_rfc3339();
        self.act(
            who,
            "routeOrder(orderId: $o, departmentId: $d, instruction: $i, dueAt: $at)",
            json!({ "o": order, "d": department, "i": "请三日内修复屋面防水", "at": due }),
        )
        .await
    }

    async fn queue(&self, who: &str, field: &str, arg: &str, unit: &str) -> Value {
        let query =
            format!("query($u: ID!) {{ {field}({arg}: $u) {{ totalCount edges {{ node {{ id status }} }} }} }}");
        self.gql(who, &query, json!({ "u": unit })).await
    }

    async fn queued_ids(&self, who: &str, field: &str, arg: &str, unit: &str) -> Vec<String> {
        let resp = self.queue(who, field, arg, unit).await;
        payload(&resp)["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

#[tokio::test]
async fn a_whistle_goes_from_the_community_through_the_street_to_a_department_and_back_to_the_resident() {
    let w = World::new().await;
    let accept = "mutation { acceptSubscriptions(kinds: [ALARM]) { kind remaining } }";
    payload(&w.gql("demo-street", accept, json!({})).await);
    let order = w.escalated().await;
    let street = w.street().await;
    assert_eq!(w.notices_about("demo-street", "ORDER_ESCALATED_TO_STREET", &order).await, 1);
    // The notice goes to the reviewer's phone as a subscription message too.
    let reviewer = w.id_of("demo-street").await;
    let db = &w.app.domain.db;
    let pushes = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) FROM wechat_pushes WHERE user_id = {reviewer} AND kind = 'ALARM'"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(pushes, 1, "one subscription message to the street reviewer");
    assert!(w.queued_ids("demo-street", "streetQueue", "streetId", &street).await.contains(&order));

    // 街道分哨: to the street's 住建中心, with an instruction and a due date.
    let housing = w.department("龙头街道住建中心").await;
    let routed = payload(&w.route("demo-street", &order, &housing).await).clone();
    assert_eq!(routed["status"], "ROUTED", "{routed}");
    assert_eq!(routed["department"]["name"], "龙头街道住建中心");
    assert_eq!(routed["routeInstruction"], "请三日内修复屋面防水");
    assert!(routed["acceptDueAt"].is_string() && routed["routeDueAt"].is_string());
    assert_eq!(w.notices_about("demo-dept-housing", "ORDER_ROUTED", &order).await, 1);
    assert_eq!(
        w.queued_ids("demo-dept-housing", "departmentQueue", "departmentId", &housing).await,
        vec![order.clone()]
    );
    assert!(
        !w.queued_ids("demo-street", "streetQueue", "streetId", &street).await.contains(&order),
        "no longer waiting on the street"
    );

    // 部门应哨, a question to the community and its answer.
    let accepted = w
        .step("demo-dept-housing", "acceptRoutedOrder(orderId: $o)", json!({ "o": order }), "DEPARTMENT_ACCEPTED")
        .await;
    assert!(accepted["departmentAcceptedAt"].is_string());
    let asked = w
        .gql(
            "demo-dept-housing",
            "mutation($o: ID!, $q: String!) { requestInformation(orderId: $o, question: $q) { id question answer } }",
            json!({ "o": order, "q": "住户白天是否在家？" }),
        )
        .await;
    let request = id(payload(&asked));
    assert_eq!(w.notices_about("demo-secretary", "ORDER_INFORMATION_REQUESTED", &order).await, 1);
    let answer = "mutation($r: ID!, $a: String!) { answerInformationRequest(requestId: $r, answer: $a) { id answer answeredBy { id } } }";
    let answered = w.gql("demo-secretary", answer, json!({ "r": request, "a": "工作日上午在家" })).await;
    assert_eq!(payload(&answered)["answer"], "工作日上午在家");
    let again = w.gql("demo-grid", answer, json!({ "r": request, "a": "再答一次" })).await;
    assert_eq!(outcome(&again), "INVALID_STATE", "answered once: {again}");
    assert_eq!(w.notices_about("demo-dept-housing", "ORDER_INFORMATION_ANSWERED", &order).await, 1);

    // The department completes; the street confirms; the resident rates.
    let done = w
        .step(
            "demo-dept-housing",
            "completeRoutedOrder(orderId: $o, note: $n)",
            json!({ "o": order, "n": "已更换屋面防水层" }),
            "DEPARTMENT_COMPLETED",
        )
        .await;
    assert_eq!(done["departmentNote"], "已更换屋面防水层");
    assert_eq!(done["informationRequests"][0]["answer"], "工作日上午在家");
    assert_eq!(w.notices_about("demo-street", "ORDER_DEPARTMENT_COMPLETED", &order).await, 1);
    assert!(w.queued_ids("demo-street", "streetQueue", "streetId", &street).await.contains(&order), "to confirm");
    w.step("demo-street", "confirmRoutedOrder(orderId: $o)", json!({ "o": order }), "APPROVED").await;
    let rated = w.gql("demo-resident-1", "mutation($o: ID!) { rateOrder(orderId: $o, stars: 5) { status history { actor { id } fromStatus toStatus note } } }", json!({ "o": order })).await;
    assert_eq!(payload(&rated)["status"], "CLOSED", "{rated}");

    // Every step is in the history with who took it.
    let (street_id, dept, secretary) =
        (w.id_of("demo-street").await, w.id_of("demo-dept-housing").await, w.id_of("demo-secretary").await);
    let steps: Vec<(String, String)> = payload(&rated)["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["toStatus"].as_str().unwrap().to_owned(), e["actor"]["id"].as_str().unwrap_or("").to_owned()))
        .collect();
    for expected in [
        ("ESCALATED", &secretary),
        ("ROUTED", &street_id),
        ("DEPARTMENT_ACCEPTED", &dept),
        ("DEPARTMENT_COMPLETED", &dept),
        ("APPROVED", &street_id),
    ] {
        assert!(steps.contains(&(expected.0.to_owned(), expected.1.clone())), "{expected:?} in {steps:?}");
    }
    // The question and its answer are steps too (the status stays).
    assert_eq!(steps.iter().filter(|(s, _)| s == "DEPARTMENT_ACCEPTED").count(), 3, "{steps:?}");
}

#[tokio::test]
async fn the_street_sends_an_order_back_to_the_community_or_resolves_it_itself() {
    let w = World::new().await;
    let back = w.escalated().await;
    let returned = w
        .step(
            "demo-street",
            "returnOrderToCommunity(orderId: $o, instruction: $i)",
            json!({ "o": back, "i": "社区先联系物业处理" }),
            "OPEN",
        )
        .await;
    let last = returned["history"].as_array().unwrap().last().unwrap();
    assert_eq!(last["note"], "社区先联系物业处理", "{returned}");
    assert_eq!(w.notices_about("demo-secretary", "ORDER_RETURNED_BY_STREET", &back).await, 1);
    w.step("demo-member-2", "claimOrder(orderId: $o)", json!({ "o": back }), "CLAIMED").await;

    let resolved = w.escalated().await;
    w.step(
        "demo-street",
        "resolveEscalation(orderId: $o, note: $n)",
        json!({ "o": resolved, "n": "街道协调施工队已修好" }),
        "APPROVED",
    )
    .await;
    let rated = w
        .gql(
            "demo-resident-1",
            "mutation($o: ID!) { rateOrder(orderId: $o, stars: 4) { status } }",
            json!({ "o": resolved }),
        )
        .await;
    assert_eq!(payload(&rated)["status"], "CLOSED");
    // Nobody claimed it at the end, so nobody earns points for the street's work.
    let member = w.id_of("demo-member-1").await;
    let points = w
        .gql(
            "demo-secretary",
            "query($c: ID!, $m: ID!) { dedicationPoints(communityId: $c, memberId: $m) { balance } }",
            json!({ "c": w.chengnan, "m": member }),
        )
        .await;
    assert_eq!(payload(&points)["balance"], 0, "{points}");
}

#[tokio::test]
async fn two_reviewers_route_the_same_order_and_exactly_one_wins() {
    let w = World::new().await;
    let street = w.street().await;
    let second = w.id_of("demo-member-3").await;
    let appoint = "mutation($r: Role!, $unit: ID!, $u: ID) { appoint(role: $r, unitId: $unit, userId: $u) { role } }";
    payload(&w.gql("demo-county", appoint, json!({ "r": "STREET_REVIEWER", "unit": street, "u": second })).await);
    let order = w.escalated().await;
    let (housing, civil) = (w.department("龙头街道住建中心").await, w.department("龙头街道民政办").await);
    let results = join_all([w.route("demo-street", &order, &housing), w.route("demo-member-3", &order, &civil)]).await;
    let outcomes: Vec<String> = results.iter().map(outcome).collect();
    assert_eq!(outcomes.iter().filter(|o| *o == "OK").count(), 1, "{results:?}");
    assert!(outcomes.iter().any(|o| o == "INVALID_STATE"), "{results:?}");
    let seen = w
        .gql("demo-street", &format!("query($o: ID!) {{ order(id: $o) {{ {FIELDS} }} }}"), json!({ "o": order }))
        .await;
    let routed = payload(&seen)["history"].as_array().unwrap().iter().filter(|e| e["toStatus"] == "ROUTED").count();
    assert_eq!(routed, 1, "one route in the history: {seen}");
}

#[tokio::test]
async fn a_department_that_does_not_accept_in_time_hands_the_order_back_and_one_overdue_alerts_the_county_once() {
    let w = World::new().await;
    let order = w.escalated().await;
    let housing = w.department("龙头街道住建中心").await;
    payload(&w.route("demo-street", &order, &housing).await);

    // The acceptance SLA (240 minutes by default) runs out: back to the street, once, with two nodes sweeping.
    w.app.clock.advance(Duration::minutes(239));
    assert_eq!(w.app.domain.orders().return_unaccepted().await.unwrap(), 0);
    w.app.clock.advance(Duration::minutes(2));
    let swept = join_all([w.app.domain.orders().return_unaccepted(), w.app.domain.orders().return_unaccepted()]).await;
    assert_eq!(swept.into_iter().map(Result::unwrap).sum::<usize>(), 1);
    let seen = w
        .gql("demo-street", &format!("query($o: ID!) {{ order(id: $o) {{ {FIELDS} }} }}"), json!({ "o": order }))
        .await;
    assert_eq!(payload(&seen)["status"], "ESCALATED", "{seen}");
    assert_eq!(w.notices_about("demo-street", "ORDER_NOT_ACCEPTED", &order).await, 1);
    let late = w.act("demo-dept-housing", "acceptRoutedOrder(orderId: $o)", json!({ "o": order })).await;
    assert_eq!(outcome(&late), "INVALID_STATE", "{late}");

    // Routed again and accepted, then past the street's due date: the county admin is told once.
    payload(&w.route("demo-street", &order, &housing).await);
    w.step("demo-dept-housing", "acceptRoutedOrder(orderId: $o)", json!({ "o": order }), "DEPARTMENT_ACCEPTED").await;
    w.app.clock.advance(Duration::days(3) + Duration::minutes(1));
    let swept = join_all([
        w.app.domain.orders().alert_departments_overdue(),
        w.app.domain.orders().alert_departments_overdue(),
    ])
    .await;
    assert_eq!(swept.into_iter().map(Result::unwrap).sum::<usize>(), 1);
    assert_eq!(w.app.domain.orders().alert_departments_overdue().await.unwrap(), 0);
    assert_eq!(w.notices_about("demo-county", "ORDER_DEPARTMENT_OVERDUE", &order).await, 1);
    assert_eq!(
        w.app.domain.orders().return_unaccepted().await.unwrap(),
        0,
        "an accepted order stays with the department"
    );
}

#[tokio::test]
async fn each_office_sees_and_acts_only_on_what_is_its_own() {
    let w = World::new().await;
    let order = w.escalated().await;
    let street = w.street().await;
    let (housing, civil) = (w.department("龙头街道住建中心").await, w.department("龙头街道民政办").await);

    // Only the street's reviewers route; nobody else reads its queue.
    for who in ["demo-secretary", "demo-dept-housing", "demo-resident-1"] {
        let refused = w.route(who, &order, &housing).await;
        assert!(["FORBIDDEN", "NOT_FOUND"].contains(&outcome(&refused).as_str()), "{who}: {refused}");
        let queue = w.queue(who, "streetQueue", "streetId", &street).await;
        assert_eq!(outcome(&queue), "FORBIDDEN", "{who}: {queue}");
    }
    // A street sees only its own communities: another street's queue is closed to demo-street.
    let county = payload(&w.gql("demo-county", "{ me { positions { role unitId } } }", json!({})).await)["positions"]
        [0]["unitId"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = w
        .gql("demo-county", "mutation($p: ID!) { createUnit(kind: STREET, parent: { kind: COUNTY, id: $p }, name: \"丹江街道\") { id } }", json!({ "p": county }))
        .await;
    let other = id(payload(&other));
    assert_eq!(outcome(&w.queue("demo-street", "streetQueue", "streetId", &other).await), "FORBIDDEN");
    let their_departments = "query($s: ID!) { departments(streetId: $s) { id } }";
    assert_eq!(outcome(&w.gql("demo-street", their_departments, json!({ "s": other })).await), "FORBIDDEN");
    // The other street's reviewer does not learn of this street's orders.
    let appoint = "mutation($r: Role!, $unit: ID!, $u: ID) { appoint(role: $r, unitId: $unit, userId: $u) { role } }";
    let theirs = w.id_of("demo-resident-3").await;
    payload(&w.gql("demo-county", appoint, json!({ "r": "STREET_REVIEWER", "unit": other, "u": theirs })).await);
    assert_eq!(outcome(&w.route("demo-resident-3", &order, &housing).await), "NOT_FOUND");
    for call in ["returnOrderToCommunity(orderId: $o, instruction: $i)", "resolveEscalation(orderId: $o, note: $i)"] {
        let refused = w.act("demo-resident-3", call, json!({ "o": order, "i": "越权" })).await;
        assert_eq!(outcome(&refused), "NOT_FOUND", "{call}: {refused}");
    }

    payload(&w.route("demo-street", &order, &housing).await);
    // A department sees only what was routed to it.
    for (call, vars) in [
        ("acceptRoutedOrder(orderId: $o)", json!({ "o": order })),
        ("completeRoutedOrder(orderId: $o, note: $n)", json!({ "o": order, "n": "越权" })),
    ] {
        let not_theirs = w.act("demo-dept-civil", call, vars).await;
        assert_eq!(outcome(&not_theirs), "NOT_FOUND", "{call}: {not_theirs}");
    }
    let ask = "mutation($o: ID!, $q: String!) { requestInformation(orderId: $o, question: $q) { id } }";
    let not_theirs = w.gql("demo-dept-civil", ask, json!({ "o": order, "q": "越权" })).await;
    assert_eq!(outcome(&not_theirs), "NOT_FOUND", "{not_theirs}");
    // The department asks; a sibling community's secretary cannot answer, nor can the asker.
    w.step("demo-dept-housing", "acceptRoutedOrder(orderId: $o)", json!({ "o": order }), "DEPARTMENT_ACCEPTED").await;
    let asked = w.gql("demo-dept-housing", ask, json!({ "o": order, "q": "住户在家吗？" })).await;
    let request = id(payload(&asked));
    let answer = "mutation($r: ID!, $a: String!) { answerInformationRequest(requestId: $r, answer: $a) { id } }";
    for who in ["demo-secretary-2", "demo-dept-housing"] {
        let refused = w.gql(who, answer, json!({ "r": request, "a": "越权" })).await;
        assert!(["NOT_FOUND", "FORBIDDEN"].contains(&outcome(&refused).as_str()), "{who}: {refused}");
    }
    assert_eq!(outcome(&w.queue("demo-dept-civil", "departmentQueue", "departmentId", &housing).await), "FORBIDDEN");
    assert!(w.queued_ids("demo-dept-civil", "departmentQueue", "departmentId", &civil).await.is_empty());
    let seen = w
        .gql(
            "demo-dept-housing",
            "query($o: ID!) { order(id: $o) { status informationRequests { answer } } }",
            json!({ "o": order }),
        )
        .await;
    assert_eq!(payload(&seen)["status"], "DEPARTMENT_ACCEPTED");
    assert!(payload(&seen)["informationRequests"][0]["answer"].is_null(), "the refusals answered nothing: {seen}");
    // The street confirms only what a department completed; the refusals changed nothing.
    let early = w.act("demo-street", "confirmRoutedOrder(orderId: $o)", json!({ "o": order })).await;
    assert_eq!(outcome(&early), "INVALID_STATE", "{early}");
    let unchanged = w.gql("demo-street", "query($o: ID!) { order(id: $o) { status } }", json!({ "o": order })).await;
    assert_eq!(payload(&unchanged)["status"], "DEPARTMENT_ACCEPTED");
}
