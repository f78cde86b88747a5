//! The orders of a grid, community, street or county as an xlsx file (one
//! row per order, with its times, its people, its rating and 回访), and the
//! figures ([`super::stats`]) as one. Phones and addresses are as the caller
//! may see them; each full one shown is logged, as on screen.

use chrono::NaiveDate;

use super::Orders;
use super::machine::OrderStatus;
use super::stats::{ServiceStats, StatsScope, Target};
use crate::error::DomainResult;
use crate::exports::{Cell, Export, Sheet};
use crate::org::{Actor, authority};
use crate::privacy::SensitiveField;

/// At most this many orders in one file; a larger range is refused.
const MAX_ROWS: usize = 50_000;

fn status_label(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::Submitted => "待派单",
        OrderStatus::Open => "待接单",
        OrderStatus::Assigned => "已指派",
        OrderStatus::Claimed => "已接单",
        OrderStatus::AwaitingApproval => "待审核",
        OrderStatus::Approved => "已审定",
        OrderStatus::Closed => "已评价",
        OrderStatus::Cancelled => "已取消",
        OrderStatus::Escalated => "已上报街道",
        OrderStatus::Routed => "已派给部门",
        OrderStatus::DepartmentAccepted => "部门已接单",
        OrderStatus::DepartmentCompleted => "部门已办结",
    }
}

fn headers(names: &[&str]) -> Vec<String> {
    names.iter().map(|h| (*h).to_owned()).collect()
}

impl Orders<'_> {
    /// `GET /exports/orders`: the orders placed in the scope over the days,
    /// one row each, for those who may read the scope's figures.
    pub async fn export_orders(
        self,
        actor: &Actor,
        scope: StatsScope,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DomainResult<Export> {
        let ids = self.ids_in(actor, scope, from, to).await?;
        if ids.len() > MAX_ROWS {
            return Err(crate::DomainError::bad_input(
                "to",
                format!("一次最多导出 {MAX_ROWS} 张服务单，请缩短日期范围"),
            ));
        }
        let orders = self.by_id(&ids).await?;
        let mut people: Vec<i64> =
            orders.values().flat_map(|o| [Some(o.placed_by), o.on_behalf_of, o.claimant_id]).flatten().collect();
        people.sort_unstable();
        people.dedup();
        let names = self.d.org().user_summaries(&people).await?;
        let name =
            |id: Option<i64>| -> Cell { id.and_then(|id| names.get(&id)).map(|u| u.display_name.clone()).into() };
        let mut rows = Vec::with_capacity(ids.len());
        for id in &ids {
            let Some(o) = orders.get(id) else { continue };
            let phone = self.contact(actor, o, SensitiveField::Phone).await?;
            let address = self.contact(actor, o, SensitiveField::Address).await?;
            let time = |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or(Cell::Empty, Cell::Time);
            rows.push(vec![
                Cell::Int(o.id),
                o.category.as_str().into(),
                o.title.clone().into(),
                status_label(o.status).into(),
                name(Some(o.placed_by)),
                name(o.on_behalf_of),
                phone.into(),
                address.into(),
                Cell::Time(o.created_at),
                time(o.dispatched_at),
                time(o.claimed_at),
                name(o.claimant_id),
                time(o.arrived_at),
                time(o.routing.escalated_at),
                time(o.routing.routed_at),
                time(o.routing.accepted_at),
                time(o.routing.completed_at),
                o.rating.as_ref().map(|r| i64::from(r.stars)).into(),
                o.rating.as_ref().and_then(|r| r.comment.clone()).into(),
                o.return_visit.as_ref().map(|v| v.satisfaction.label().to_owned()).into(),
                o.return_visit.as_ref().and_then(|v| v.comment.clone()).into(),
            ]);
        }
        let sheet = Sheet {
            name: "服务单".into(),
            headers: headers(&[
                "编号",
                "类别",
                "标题",
                "状态",
                "下单人",
                "代谁下单",
                "联系电话",
                "地址",
                "下单时间",
                "派单时间",
                "接单时间",
                "接单人",
                "到达时间",
                "上报街道",
                "派给部门",
                "部门接单",
                "部门办结",
                "评价星级",
                "评价",
                "回访",
                "回访说明",
            ]),
            rows,
        };
        Ok(Export { file_name: format!("orders-{from}-{to}.xlsx"), sheets: vec![sheet] })
    }

    /// `GET /exports/service-stats`: the figures of [`Orders::service_stats`] as sheets.
    pub async fn export_stats(
        self,
        actor: &Actor,
        scope: StatsScope,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DomainResult<Export> {
        let s = self.stats_under(actor, &authority::EXPORT_SERVICE_STATS, scope, from, to).await?;
        Ok(Export { file_name: format!("service-stats-{from}-{to}.xlsx"), sheets: stats_sheets(&s) })
    }
}

fn stats_sheets(s: &ServiceStats) -> Vec<Sheet> {
    let count = |label: &str, n: i64| vec![Cell::Text(label.to_owned()), Cell::Int(n)];
    let mut summary = vec![count("服务单总数", s.total), count("上报街道", s.escalated), count("评价数", s.ratings)];
    summary.push(vec!["平均星级".into(), s.average_stars.map(|a| format!("{a:.2}")).into()]);
    summary.extend(s.by_status.iter().map(|(st, n)| count(&format!("状态：{}", status_label(*st)), *n)));
    summary.extend(s.by_category.iter().map(|(c, n)| count(&format!("类别：{}", c.as_str()), *n)));
    summary.extend(s.return_visits.iter().map(|(v, n)| count(&format!("回访：{}", v.label()), *n)));
    let target = |label: &str, t: &Target| -> Vec<Cell> {
        let minutes = |m: Option<f64>| -> Cell { m.map(|m| format!("{m:.1}")).into() };
        vec![
            label.into(),
            Cell::Int(t.measured),
            Cell::Int(t.within),
            t.share().map(|x| format!("{:.1}%", x * 100.0)).into(),
            minutes(t.spread.median_minutes),
            minutes(t.spread.p90_minutes),
        ]
    };
    let timeliness = vec![target("接单", &s.claim), target("到达现场", &s.arrive), target("办结", &s.complete)];
    let departments = s
        .departments
        .iter()
        .map(|d| {
            vec![
                d.name.clone().into(),
                Cell::Int(d.routed),
                Cell::Int(d.accepted_in_time),
                Cell::Int(d.completed),
                Cell::Int(d.completed_by_due),
            ]
        })
        .collect();
    vec![
        Sheet { name: "概况".into(), headers: headers(&["项目", "数量"]), rows: summary },
        Sheet {
            name: "时效".into(),
            headers: headers(&["环节", "计入", "按时", "按时率", "中位分钟", "90%分钟"]),
            rows: timeliness,
        },
        Sheet {
            name: "部门".into(),
            headers: headers(&["部门", "派给", "按时接单", "已办结", "按期办结"]),
            rows: departments,
        },
    ]
}
