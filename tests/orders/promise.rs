// The 30-minute promise as the seeds mean it (the claimant at the door,
// and a missed arrival marked once), and 回访: the grid worker's return
// visit after approval, which by the community's policy reopens or
// escalates an order the resident is unsatisfied with.

use chrono::Duration;
use domain::Clock;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::common::*;

const FIELDS: &str = "id status claimant { id } claimDueAt dispatchedAt claimedAt arriveDueAt arrivedAt arrivalMissedAt \
                      returnVisit { satisfaction comment at visitedBy { id } } history { toStatus note }";

area_world!();

impl World {
    async fn mutate(&self, who: &str, call: &str, vars: Value) -> Value {
        let mut params = vec!["$o: ID!".to_owned()];
        if vars.get("s").is_some() {
            params.push("$s: ReturnVisitSatisfaction!".into());
            params.push("$c: String".into());
        }
        if vars.get("n").is_some() {
            params.push("$n: String!".into());
        }
        let query = format!("mutation({}) {{ {call} {{ {FIELDS} }} }}", params.join(", "));
        self.gql(who, &query, vars).await
    }

    async fn must(&self, who: &str, call: &str, vars: Value, status: &str) -> Value {
        let resp = self.mutate(who, call, vars).await;
        let order = payload(&resp).clone();
        assert_eq!(order["status"], status, "{who} {call}: {resp}");
        order
    }

    /// 龙阿姨's repair, claimed by 李党员.
    async fn claimed(&self, who: &str) -> String {
        let placed = self
            .gql(
                who,
                "mutation($c: ID!) { placeOrder(input: { communityId: $c, category: REPAIR, title: \"门锁坏了\", \
                 description: \"进不了门\" }) { id } }",
                json!({ "c": self.chengnan }),
            )
            .await;
        let o = id(payload(&placed));
        self.must("demo-secretary", "dispatchOrder(orderId: $o)", json!({ "o": o }), "OPEN").await;
        self.must("demo-member-1", "claimOrder(orderId: $o)", json!({ "o": o }), "CLAIMED").await;
        o
    }

    /// [`World::claimed`], completed and approved.
    async fn approved(&self, who: &str) -> String {
        let o = self.claimed(who).await;
        let done = "completeOrder(orderId: $o, note: $n)";
        self.must("demo-member-1", done, json!({ "o": o, "n": "换了新锁" }), "AWAITING_APPROVAL").await;
        self.must("demo-secretary", "approveOrder(orderId: $o)", json!({ "o": o }), "APPROVED").await;
        o
    }

    async fn visit(&self, who: &str, order: &str, satisfaction: &str) -> Value {
        let call = "recordReturnVisit(orderId: $o, satisfaction: $s, comment: $c)";
        self.mutate(who, call, json!({ "o": order, "s": satisfaction, "c": "门锁好用" })).await
    }
}

#[tokio::test]
async fn the_claimant_records_arriving_once_within_the_thirty_minutes_of_a_repair() {
    let w = World::new().await;
    let claimed_at = w.app.clock.now();
    let o = w.claimed("demo-resident-1").await;
    let seen =
        w.gql("demo-member-1", &format!("query($o: ID!) {{ order(id: $o) {{ {FIELDS} }} }}"), json!({ "o": o })).await;
    let due = time(&payload(&seen)["arriveDueAt"]);
    assert!((due - (claimed_at + Duration::minutes(30))).num_seconds().abs() < 2, "{seen}");
    for stamped in ["dispatchedAt", "claimedAt"] {
        assert!((time(&payload(&seen)[stamped]) - claimed_at).num_seconds().abs() < 2, "{stamped}: {seen}");
    }

    let other = w.mutate("demo-member-2", "arriveOnSite(orderId: $o)", json!({ "o": o })).await;
    assert_eq!(outcome(&other), "FORBIDDEN", "only the claimant: {other}");
    w.app.clock.advance(Duration::minutes(12));
    let arrived = w.must("demo-member-1", "arriveOnSite(orderId: $o)", json!({ "o": o }), "CLAIMED").await;
    assert!((time(&arrived["arrivedAt"]) - w.app.clock.now()).num_seconds().abs() < 2, "{arrived}");
    let again = w.mutate("demo-member-1", "arriveOnSite(orderId: $o)", json!({ "o": o })).await;
    assert_eq!(outcome(&again), "INVALID_STATE", "{again}");
    // Arrived in time: the sweep leaves it alone.
    w.app.clock.advance(Duration::hours(1));
    assert_eq!(w.app.domain.orders().mark_arrivals_missed().await.unwrap(), 0);
}

#[tokio::test]
async fn a_claimant_not_at_the_door_in_time_is_marked_once_and_told_with_the_secretary() {
    let w = World::new().await;
    let o = w.claimed("demo-resident-1").await;
    w.app.clock.advance(Duration::minutes(29));
    assert_eq!(w.app.domain.orders().mark_arrivals_missed().await.unwrap(), 0);
    w.app.clock.advance(Duration::minutes(2));
    let swept =
        join_all([w.app.domain.orders().mark_arrivals_missed(), w.app.domain.orders().mark_arrivals_missed()]).await;
    assert_eq!(swept.into_iter().map(Result::unwrap).sum::<usize>(), 1, "once, with two nodes sweeping");
    assert_eq!(w.app.domain.orders().mark_arrivals_missed().await.unwrap(), 0);
    assert_eq!(w.notices_about("demo-member-1", "ORDER_ARRIVAL_MISSED", &o).await, 1);
    assert_eq!(w.notices_about("demo-secretary", "ORDER_ARRIVAL_MISSED", &o).await, 1);
    // Late, but still the claimant's: arriving is still recorded.
    let late = w.must("demo-member-1", "arriveOnSite(orderId: $o)", json!({ "o": o }), "CLAIMED").await;
    assert!(late["arrivalMissedAt"].is_string() && late["arrivedAt"].is_string(), "{late}");
}

#[tokio::test]
async fn the_grid_worker_visits_back_once_after_approval_and_not_on_her_own_work() {
    let w = World::new().await;
    let o = w.approved("demo-resident-1").await;
    let rated = w
        .gql("demo-resident-1", "mutation($o: ID!) { rateOrder(orderId: $o, stars: 5) { status } }", json!({ "o": o }))
        .await;
    assert_eq!(payload(&rated)["status"], "CLOSED");
    for (who, code) in
        [("demo-member-1", "FORBIDDEN"), ("demo-resident-1", "FORBIDDEN"), ("demo-secretary-2", "NOT_FOUND")]
    {
        let refused = w.visit(who, &o, "SATISFIED").await;
        assert_eq!(outcome(&refused), code, "{who}: {refused}");
    }
    let visited = payload(&w.visit("demo-grid", &o, "BASICALLY_SATISFIED").await).clone();
    assert_eq!(visited["status"], "CLOSED");
    assert_eq!(visited["returnVisit"]["satisfaction"], "BASICALLY_SATISFIED");
    assert_eq!(visited["returnVisit"]["visitedBy"]["id"], w.id_of("demo-grid").await.as_str());
    assert_eq!(visited["history"].as_array().unwrap().last().unwrap()["note"], "回访：基本满意，门锁好用");
    assert_eq!(outcome(&w.visit("demo-secretary", &o, "UNSATISFIED").await), "INVALID_STATE", "once");
    // Work not yet approved has no return visit.
    let open = w.claimed("demo-resident-1").await;
    assert_eq!(outcome(&w.visit("demo-grid", &open, "SATISFIED").await), "INVALID_STATE");
    // 杨大哥 lives in 第2网格: demo-grid (第1网格) does not visit him back.
    let theirs = w.approved("demo-resident-2").await;
    assert_eq!(outcome(&w.visit("demo-grid", &theirs, "SATISFIED").await), "FORBIDDEN");
}

#[tokio::test]
async fn an_unsatisfied_return_visit_reopens_the_order_or_escalates_it_as_the_community_chose() {
    let w = World::new().await;
    let reopened = w.approved("demo-resident-1").await;
    let visited = payload(&w.visit("demo-grid", &reopened, "UNSATISFIED").await).clone();
    assert_eq!(visited["status"], "OPEN", "REOPEN is the default: {visited}");
    assert!(visited["claimant"].is_null() && visited["claimDueAt"].is_string(), "{visited}");
    assert_eq!(w.notices_about("demo-secretary", "ORDER_REOPENED_AFTER_VISIT", &reopened).await, 1);
    w.must("demo-member-2", "claimOrder(orderId: $o)", json!({ "o": reopened }), "CLAIMED").await;

    let set = "mutation($c: ID!) { setReturnVisitPolicy(communityId: $c, policy: ESCALATE) { returnVisitPolicy } }";
    let refused = w.gql("demo-grid", set, json!({ "c": w.chengnan })).await;
    assert_eq!(outcome(&refused), "FORBIDDEN", "{refused}");
    let sibling = w.gql("demo-secretary-2", set, json!({ "c": w.chengnan })).await;
    assert_eq!(outcome(&sibling), "NOT_FOUND", "another community's secretary: {sibling}");
    assert_eq!(
        payload(&w.gql("demo-secretary", set, json!({ "c": w.chengnan })).await)["returnVisitPolicy"],
        "ESCALATE"
    );
    let escalated = w.approved("demo-resident-1").await;
    let visited = payload(&w.visit("demo-grid", &escalated, "UNSATISFIED").await).clone();
    assert_eq!(visited["status"], "ESCALATED", "{visited}");
    assert_eq!(w.notices_about("demo-street", "ORDER_ESCALATED_TO_STREET", &escalated).await, 1);
}
