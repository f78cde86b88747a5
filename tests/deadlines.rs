// Missed deadlines (issue 7 §3): the sweeps the background sweeper runs, with
// the manual clock. Orders nobody claims in time are escalated and the
// secretaries told; claims past their completion deadline are marked overdue,
// cost the claimant the overdue points once, tell them, and go back to the
// pool or are escalated per the community's overdue policy; the same for
// wishes; urgent care keeps its own path. Every sweep acts once even when
// several run at the same moment.

use crate::common::*;
use chrono::{DateTime, Duration, Utc};
use domain::Clock;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const ORDER_FIELDS: &str = "id status claimDueAt completeDueAt overdueAt claimant { id } assignee { id } \
                            history { actor { id } fromStatus toStatus at note }";
const WISH_FIELDS: &str = "id status claimDueAt overdueAt claimant { id } \
                           history { actor { id } fromStatus toStatus at note }";
const INBOX: &str = "{ myNotifications(first: 100) { edges { node { kind subjectKind subjectId title body } } } }";
const POLICY: &str = "mutation($c: ID!, $p: OverduePolicy!) { setOverduePolicy(communityId: $c, policy: $p) { id \
                      overduePolicy } }";
const MY_POLICIES: &str = "{ me { memberships { community { id overduePolicy } } } }";
const POINTS: &str = "query($c: ID!, $m: ID!) { dedicationPoints(communityId: $c, memberId: $m, first: 100) { \
                      balance entries { edges { node { points source sourceId } } } } }";

area_world!();

impl World {
    /// `data.<only field>` of `query` as `who`, asserting no errors.
    async fn ok(&self, who: &str, query: &str, vars: Value) -> Value {
        let resp = self.gql(who, query, vars).await;
        assert!(resp.get("errors").is_none(), "{who}: unexpected errors: {resp}");
        resp["data"].as_object().unwrap().values().next().unwrap().clone()
    }

    /// A repair order for 龙阿姨, published to the pool (or assigned to `assignee`); its id.
    async fn dispatched_order(&self, assignee: Option<&str>) -> String {
        let input = json!({ "communityId": self.chengnan, "category": "REPAIR", "title": "水管漏水",
            "description": "厨房水管漏水，请帮忙看看" });
        let placed = self
            .ok(
                "demo-resident-1",
                "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        let id = placed["id"].as_str().unwrap().to_owned();
        let assignee = match assignee {
            Some(who) => Some(self.id_of(who).await),
            None => None,
        };
        let dispatch = "mutation($id: ID!, $a: ID) { dispatchOrder(orderId: $id, assigneeId: $a) { status } }";
        self.ok("demo-secretary", dispatch, json!({ "id": id, "a": assignee })).await;
        id
    }

    /// An urgent meal delivery for demo-elder, filed by the grid worker (open to claim at once); its id.
    async fn urgent_care_request(&self) -> String {
        let input = json!({ "communityId": self.chengnan, "elderId": self.id_of("demo-elder").await,
            "kind": "MEAL_DELIVERY", "title": "送午饭", "description": "腿脚不便，下不了楼", "urgent": true });
        let filed = self
            .ok(
                "demo-grid",
                "mutation($i: FileCareRequestInput!) { fileCareRequest(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        filed["id"].as_str().unwrap().to_owned()
    }

    /// A published order claimed by demo-member-1 (24 hours to finish a repair); its id.
    async fn claimed_order(&self) -> String {
        let id = self.dispatched_order(None).await;
        assert_eq!(self.claim_order("demo-member-1", &id).await["status"], "CLAIMED");
        id
    }

    async fn claim_order(&self, who: &str, id: &str) -> Value {
        let claim = format!("mutation($id: ID!) {{ claimOrder(orderId: $id) {{ {ORDER_FIELDS} }} }}");
        self.ok(who, &claim, json!({ "id": id })).await
    }

    async fn order(&self, id: &str) -> Value {
        self.ok(
            "demo-secretary",
            &format!("query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"),
            json!({ "id": id }),
        )
        .await
    }

    /// A wish for 龙阿姨, published and claimed by demo-member-1 (7 days to fulfil); its id.
    async fn claimed_wish(&self) -> String {
        let input = json!({ "communityId": self.chengnan, "title": "想要一个新书包", "story": "孩子的书包破了" });
        let posted = self
            .ok("demo-resident-1", "mutation($i: PostWishInput!) { postWish(input: $i) { id } }", json!({ "i": input }))
            .await;
        let id = posted["id"].as_str().unwrap().to_owned();
        self.ok("demo-secretary", "mutation($id: ID!) { publishWish(wishId: $id) { id } }", json!({ "id": id })).await;
        self.ok("demo-member-1", "mutation($id: ID!) { claimWish(wishId: $id) { id } }", json!({ "id": id })).await;
        id
    }

    async fn wish(&self, id: &str) -> Value {
        self.ok(
            "demo-secretary",
            &format!("query($id: ID!) {{ wish(id: $id) {{ {WISH_FIELDS} }} }}"),
            json!({ "id": id }),
        )
        .await
    }

    /// `who`'s notices of `kind` about `subject_id`.
    async fn notices(&self, who: &str, kind: &str, subject_id: &str) -> Vec<Value> {
        let inbox = self.ok(who, INBOX, json!({})).await;
        inbox["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"].clone())
            .filter(|n| n["kind"] == kind && n["subjectId"] == subject_id)
            .collect()
    }

    /// `member`'s dedication entries from one source, as the secretary sees them.
    async fn entries(&self, member: &str, source: &str, source_id: &str) -> Vec<i64> {
        let account = self.ok("demo-secretary", POINTS, json!({ "c": self.chengnan, "m": member })).await;
        account["entries"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"].clone())
            .filter(|n| n["source"] == source && n["sourceId"] == source_id)
            .map(|n| n["points"].as_i64().unwrap())
            .collect()
    }

    async fn set_policy(&self, policy: &str) {
        let set = self.ok("demo-secretary", POLICY, json!({ "c": self.chengnan, "p": policy })).await;
        assert_eq!(set["overduePolicy"], policy);
    }
}

fn assert_same_instant(actual: &Value, expected: DateTime<Utc>, what: &str) {
    let diff = (time(actual) - expected).num_milliseconds().abs();
    assert!(diff < 1, "{what}: {actual} is not {expected}");
}

fn history(subject: &Value) -> Vec<Value> {
    subject["history"].as_array().unwrap().clone()
}

fn transitions(subject: &Value, from: &str, to: &str) -> usize {
    history(subject).iter().filter(|e| e["fromStatus"] == from && e["toStatus"] == to).count()
}

// ---------------------------------------------------------------------------
// Orders nobody claims
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_order_nobody_claims_by_its_claim_deadline_is_escalated_and_the_secretary_told_once() {
    let w = World::new().await;
    let pooled = w.dispatched_order(None).await;
    let assigned = w.dispatched_order(Some("demo-member-2")).await;

    w.app.clock.advance(Duration::minutes(29));
    assert_eq!(w.app.domain.orders().escalate_unclaimed().await.unwrap(), 0, "a minute before the deadline");
    assert_eq!(w.order(&pooled).await["status"], "OPEN");

    w.app.clock.advance(Duration::minutes(2));
    let swept_at = w.app.clock.now();
    assert_eq!(w.app.domain.orders().escalate_unclaimed().await.unwrap(), 2, "the pooled and the assigned order");
    assert_eq!(w.app.domain.orders().escalate_unclaimed().await.unwrap(), 0, "once only");

    for (id, from) in [(&pooled, "OPEN"), (&assigned, "ASSIGNED")] {
        let order = w.order(id).await;
        assert_eq!(order["status"], "ESCALATED", "{order}");
        let last = history(&order).pop().unwrap();
        assert!(last["actor"].is_null(), "the system escalated it: {last}");
        assert_eq!(last["fromStatus"], from);
        assert!(last["note"].as_str().unwrap().contains("nobody claimed"), "{last}");
        assert_same_instant(&last["at"], swept_at, "escalated at the sweep's time");
        let told = w.notices("demo-secretary", "ORDER_UNCLAIMED", id).await;
        assert_eq!(told.len(), 1, "the secretary is told once: {told:?}");
        assert_eq!(told[0]["subjectKind"], "ORDER");
    }
    assert!(w.notices("demo-member-2", "ORDER_UNCLAIMED", &assigned).await.is_empty(), "only secretaries");

    // Escalated orders are out of the pool: nobody claims them any more.
    let late =
        w.gql("demo-member-1", "mutation($id: ID!) { claimOrder(orderId: $id) { id } }", json!({ "id": pooled })).await;
    assert_eq!(error_code(&late), "INVALID_STATE", "{late}");
}

#[tokio::test]
async fn an_urgent_care_request_is_left_to_the_care_sweep_and_stays_claimable() {
    let w = World::new().await;
    let id = w.urgent_care_request().await;

    w.app.clock.advance(Duration::minutes(6));
    assert_eq!(w.app.domain.orders().escalate_unclaimed().await.unwrap(), 0, "not the order sweep's to escalate");
    assert_eq!(w.app.domain.care().escalate_unclaimed().await.unwrap(), [id.parse::<i64>().unwrap()]);
    assert_eq!(w.app.domain.orders().escalate_unclaimed().await.unwrap(), 0, "nor after the care sweep alerted");
    assert_eq!(w.order(&id).await["status"], "OPEN", "still open for anyone to claim");
    assert!(w.notices("demo-secretary", "ORDER_UNCLAIMED", &id).await.is_empty());
    assert_eq!(w.notices("demo-secretary", "CARE_ESCALATED", &id).await.len(), 1);
    assert_eq!(w.claim_order("demo-member-1", &id).await["status"], "CLAIMED");
}

#[tokio::test]
async fn a_claimed_urgent_care_request_past_its_finish_deadline_follows_the_overdue_policy_with_care_windows() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let id = w.urgent_care_request().await;
    assert_eq!(w.claim_order("demo-member-1", &id).await["status"], "CLAIMED");

    // A meal delivery is due in two hours.
    w.app.clock.advance(Duration::minutes(119));
    assert_eq!(w.app.domain.orders().sweep_overdue().await.unwrap().total(), 0);
    w.app.clock.advance(Duration::minutes(2));
    let swept_at = w.app.clock.now();
    assert_eq!(w.app.domain.orders().sweep_overdue().await.unwrap().returned_to_pool, 1);
    let order = w.order(&id).await;
    assert_eq!(order["status"], "OPEN");
    assert_same_instant(&order["claimDueAt"], swept_at + Duration::minutes(5), "the urgent claim window again");
    assert_eq!(w.entries(&member, "ORDER", &id).await, vec![-5]);
    assert_eq!(w.notices("demo-member-1", "ORDER_OVERDUE", &id).await.len(), 1);

    // Unclaimed again: the care sweep alerts the secretaries; the order sweep leaves it open.
    w.app.clock.advance(Duration::minutes(6));
    assert_eq!(w.app.domain.orders().escalate_unclaimed().await.unwrap(), 0);
    assert_eq!(w.app.domain.care().escalate_unclaimed().await.unwrap(), [id.parse::<i64>().unwrap()]);
    assert_eq!(w.order(&id).await["status"], "OPEN");
}

// ---------------------------------------------------------------------------
// Claims past their completion deadline
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_claim_past_its_deadline_goes_back_to_the_pool_marked_overdue_and_another_member_claims_it() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let id = w.claimed_order().await;

    w.app.clock.advance(Duration::hours(23));
    assert_eq!(w.app.domain.orders().sweep_overdue().await.unwrap().total(), 0, "an hour before the deadline");
    w.app.clock.advance(Duration::hours(2));
    let swept_at = w.app.clock.now();
    let swept = w.app.domain.orders().sweep_overdue().await.unwrap();
    assert_eq!((swept.returned_to_pool, swept.escalated), (1, 0));
    assert_eq!(w.app.domain.orders().sweep_overdue().await.unwrap().total(), 0, "once only");

    let order = w.order(&id).await;
    assert_eq!(order["status"], "OPEN", "{order}");
    assert!(order["claimant"].is_null() && order["completeDueAt"].is_null(), "{order}");
    assert_same_instant(&order["overdueAt"], swept_at, "overdueAt");
    assert_same_instant(&order["claimDueAt"], swept_at + Duration::minutes(30), "a fresh claim deadline");
    let last = history(&order).pop().unwrap();
    assert!(last["actor"].is_null(), "{last}");
    assert_eq!((last["fromStatus"].as_str(), last["toStatus"].as_str()), (Some("CLAIMED"), Some("OPEN")));
    assert!(last["note"].as_str().unwrap().contains("back in the pool"), "{last}");

    assert_eq!(w.entries(&member, "ORDER", &id).await, vec![-5], "the overdue points, once");
    assert_eq!(w.notices("demo-member-1", "ORDER_OVERDUE", &id).await.len(), 1);
    assert!(w.notices("demo-secretary", "ORDER_ESCALATED", &id).await.is_empty(), "nothing to escalate");

    // Back in the pool for another member.
    let pool = w
        .ok(
            "demo-member-2",
            "query($c: ID!) { orderPool(communityId: $c) { edges { node { id } } } }",
            json!({ "c": w.chengnan }),
        )
        .await;
    assert!(pool["edges"].as_array().unwrap().iter().any(|e| e["node"]["id"] == id.as_str()), "{pool}");
    let reclaimed = w.claim_order("demo-member-2", &id).await;
    assert_eq!(reclaimed["status"], "CLAIMED");
    assert_eq!(reclaimed["claimant"]["id"], w.id_of("demo-member-2").await.as_str());
}

#[tokio::test]
async fn an_assigned_order_that_lapses_goes_back_to_the_open_pool_for_anyone() {
    let w = World::new().await;
    let id = w.dispatched_order(Some("demo-member-1")).await;
    w.claim_order("demo-member-1", &id).await;
    w.app.clock.advance(Duration::hours(25));
    assert_eq!(w.app.domain.orders().sweep_overdue().await.unwrap().returned_to_pool, 1);
    let order = w.order(&id).await;
    assert_eq!(order["status"], "OPEN");
    assert!(order["assignee"].is_null(), "no longer reserved for the member who missed it: {order}");
    assert_eq!(w.claim_order("demo-volunteer", &id).await["status"], "CLAIMED");
}

#[tokio::test]
async fn under_the_escalate_policy_a_claim_past_its_deadline_is_escalated_and_the_secretary_told() {
    let w = World::new().await;
    w.set_policy("ESCALATE").await;
    let member = w.id_of("demo-member-1").await;
    let id = w.claimed_order().await;
    w.app.clock.advance(Duration::hours(25));
    let swept_at = w.app.clock.now();
    let swept = w.app.domain.orders().sweep_overdue().await.unwrap();
    assert_eq!((swept.returned_to_pool, swept.escalated), (0, 1));
    assert_eq!(w.app.domain.orders().sweep_overdue().await.unwrap().total(), 0);

    let order = w.order(&id).await;
    assert_eq!(order["status"], "ESCALATED", "{order}");
    assert_same_instant(&order["overdueAt"], swept_at, "overdueAt");
    assert!(order["claimant"].is_null(), "the claim ends at the street: {order}");
    let steps = history(&order);
    assert!(
        steps.iter().any(|e| e["toStatus"] == "CLAIMED" && e["actor"]["id"] == member.as_str()),
        "the history keeps who missed it: {order}"
    );
    let last = history(&order).pop().unwrap();
    assert!(last["actor"].is_null());
    assert_eq!((last["fromStatus"].as_str(), last["toStatus"].as_str()), (Some("CLAIMED"), Some("ESCALATED")));

    assert_eq!(w.entries(&member, "ORDER", &id).await, vec![-5]);
    assert_eq!(w.notices("demo-member-1", "ORDER_OVERDUE", &id).await.len(), 1);
    assert_eq!(w.notices("demo-secretary", "ORDER_ESCALATED", &id).await.len(), 1);
    // The street sees it now.
    let street = w.gql("demo-street", "query($id: ID!) { order(id: $id) { status } }", json!({ "id": id })).await;
    assert_eq!(data(&street, "order")["status"], "ESCALATED", "{street}");
}

#[tokio::test]
async fn work_reported_done_before_the_sweep_is_not_swept() {
    let w = World::new().await;
    let id = w.claimed_order().await;
    w.app.clock.advance(Duration::hours(23));
    let complete = "mutation($id: ID!) { completeOrder(orderId: $id, note: \"已修好\") { status } }";
    w.ok("demo-member-1", complete, json!({ "id": id })).await;
    w.app.clock.advance(Duration::hours(48));
    assert_eq!(w.app.domain.orders().sweep_overdue().await.unwrap().total(), 0);
    assert_eq!(w.order(&id).await["status"], "AWAITING_APPROVAL");
    assert!(w.notices("demo-member-1", "ORDER_OVERDUE", &id).await.is_empty());
}

// ---------------------------------------------------------------------------
// Exactly once under concurrent sweeps
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_sweeps_at_once_act_on_an_overdue_claim_once() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let id = w.claimed_order().await;
    w.app.clock.advance(Duration::hours(25));
    let (a, b) = tokio::join!(w.app.domain.orders().sweep_overdue(), w.app.domain.orders().sweep_overdue());
    assert_eq!(a.unwrap().total() + b.unwrap().total(), 1, "one of the two sweeps acted");

    let order = w.order(&id).await;
    assert_eq!(transitions(&order, "CLAIMED", "OPEN"), 1, "one event: {order}");
    assert_eq!(w.entries(&member, "ORDER", &id).await, vec![-5], "one deduction");
    assert_eq!(w.notices("demo-member-1", "ORDER_OVERDUE", &id).await.len(), 1, "one notice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_sweeps_at_once_escalate_an_overdue_claim_once() {
    let w = World::new().await;
    w.set_policy("ESCALATE").await;
    let member = w.id_of("demo-member-1").await;
    let id = w.claimed_order().await;
    w.app.clock.advance(Duration::hours(25));
    let (a, b) = tokio::join!(w.app.domain.orders().sweep_overdue(), w.app.domain.orders().sweep_overdue());
    assert_eq!(a.unwrap().escalated + b.unwrap().escalated, 1);
    let order = w.order(&id).await;
    assert_eq!(transitions(&order, "CLAIMED", "ESCALATED"), 1, "{order}");
    assert_eq!(w.entries(&member, "ORDER", &id).await, vec![-5]);
    assert_eq!(w.notices("demo-secretary", "ORDER_ESCALATED", &id).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_sweeps_at_once_escalate_an_unclaimed_order_once() {
    let w = World::new().await;
    let id = w.dispatched_order(None).await;
    w.app.clock.advance(Duration::minutes(31));
    let (a, b) = tokio::join!(w.app.domain.orders().escalate_unclaimed(), w.app.domain.orders().escalate_unclaimed());
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let order = w.order(&id).await;
    assert_eq!(transitions(&order, "OPEN", "ESCALATED"), 1, "{order}");
    assert_eq!(w.notices("demo-secretary", "ORDER_UNCLAIMED", &id).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_sweeps_at_once_lapse_a_wish_claim_once() {
    let w = World::new().await;
    w.set_policy("ESCALATE").await;
    let member = w.id_of("demo-member-1").await;
    let id = w.claimed_wish().await;
    w.app.clock.advance(Duration::days(8));
    let (a, b) = tokio::join!(w.app.domain.wishes().expire_claims(), w.app.domain.wishes().expire_claims());
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let wish = w.wish(&id).await;
    assert_eq!(transitions(&wish, "CLAIMED", "ESCALATED"), 1, "{wish}");
    assert_eq!(w.entries(&member, "WISH", &id).await, vec![-3]);
    assert_eq!(w.notices("demo-member-1", "WISH_OVERDUE", &id).await.len(), 1);
    assert_eq!(w.notices("demo-secretary", "WISH_ESCALATED", &id).await.len(), 1);
}

// ---------------------------------------------------------------------------
// Wishes
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_lapsed_wish_claim_is_marked_overdue_and_its_member_told_before_it_returns_to_the_list() {
    let w = World::new().await;
    let id = w.claimed_wish().await;
    w.app.clock.advance(Duration::days(8));
    let swept_at = w.app.clock.now();
    assert_eq!(w.app.domain.wishes().expire_claims().await.unwrap(), 1);
    let wish = w.wish(&id).await;
    assert_eq!(wish["status"], "PUBLISHED");
    assert!(wish["claimant"].is_null());
    assert_same_instant(&wish["overdueAt"], swept_at, "overdueAt");
    assert_eq!(w.notices("demo-member-1", "WISH_OVERDUE", &id).await.len(), 1);
    assert!(w.notices("demo-secretary", "WISH_ESCALATED", &id).await.is_empty());
}

#[tokio::test]
async fn under_the_escalate_policy_a_lapsed_wish_goes_to_the_secretary_who_can_publish_it_again() {
    let w = World::new().await;
    w.set_policy("ESCALATE").await;
    let member = w.id_of("demo-member-1").await;
    let id = w.claimed_wish().await;
    w.app.clock.advance(Duration::days(8));
    assert_eq!(w.app.domain.wishes().expire_claims().await.unwrap(), 1);
    assert_eq!(w.app.domain.wishes().expire_claims().await.unwrap(), 0);

    let wish = w.wish(&id).await;
    assert_eq!(wish["status"], "ESCALATED", "{wish}");
    let last = history(&wish).pop().unwrap();
    assert!(last["actor"].is_null());
    assert!(last["note"].as_str().unwrap().contains("escalated"), "{last}");
    assert_eq!(w.entries(&member, "WISH", &id).await, vec![-3], "the lapse costs the same under either policy");
    assert_eq!(w.notices("demo-secretary", "WISH_ESCALATED", &id).await.len(), 1);

    let claim = "mutation($id: ID!) { claimWish(wishId: $id) { id } }";
    assert_eq!(error_code(&w.gql("demo-member-2", claim, json!({ "id": id })).await), "INVALID_STATE");
    let again = w
        .ok(
            "demo-secretary",
            &format!("mutation($id: ID!) {{ publishWish(wishId: $id) {{ {WISH_FIELDS} }} }}"),
            json!({ "id": id }),
        )
        .await;
    assert_eq!(again["status"], "PUBLISHED");
    assert!(again["claimant"].is_null() && again["claimDueAt"].is_null(), "{again}");
    assert_eq!(w.ok("demo-member-2", claim, json!({ "id": id })).await["id"], id.as_str());
}

// ---------------------------------------------------------------------------
// The policy
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_secretary_switches_the_policy_and_the_next_sweep_follows_it() {
    let w = World::new().await;
    let mine = w.ok("demo-member-1", MY_POLICIES, json!({})).await;
    let chengnan = mine["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["community"]["id"] == w.chengnan.as_str())
        .unwrap()
        .clone();
    assert_eq!(chengnan["community"]["overduePolicy"], "RETURN_TO_POOL", "the default");

    let first = w.claimed_order().await;
    w.set_policy("ESCALATE").await;
    let second = w.claimed_order().await;
    w.set_policy("RETURN_TO_POOL").await;
    w.set_policy("ESCALATE").await;
    w.app.clock.advance(Duration::hours(25));
    let swept = w.app.domain.orders().sweep_overdue().await.unwrap();
    assert_eq!((swept.returned_to_pool, swept.escalated), (0, 2), "the policy at sweep time counts");
    for id in [first, second] {
        assert_eq!(w.order(&id).await["status"], "ESCALATED");
    }
    let read = w.ok("demo-resident-1", MY_POLICIES, json!({})).await;
    assert!(read["memberships"].as_array().unwrap().iter().any(|m| m["community"]["overduePolicy"] == "ESCALATE"));
}

#[tokio::test]
async fn only_the_communitys_secretary_sets_the_overdue_policy() {
    let w = World::new().await;
    for (who, code) in [
        ("demo-resident-1", "FORBIDDEN"),
        ("demo-member-1", "FORBIDDEN"),
        ("demo-grid", "FORBIDDEN"),
        ("demo-secretary-2", "NOT_FOUND"),
    ] {
        let resp = w.gql(who, POLICY, json!({ "c": w.chengnan, "p": "ESCALATE" })).await;
        assert_eq!(error_code(&resp), code, "{who}: {resp}");
    }
    let mine = w.ok("demo-secretary", MY_POLICIES, json!({})).await;
    assert!(
        mine["memberships"].as_array().unwrap().iter().all(|m| m["community"]["overduePolicy"] == "RETURN_TO_POOL")
    );
}
