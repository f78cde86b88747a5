//! linli's schema, one migration per step. Portable across PostgreSQL and SQLite.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_org;
mod m20261123_000002_create_auth;
mod m20261123_000003_create_orders;
mod m20261123_000004_create_party_work;
mod m20261123_000005_create_ledger;
mod m20261123_000006_create_canteen;
mod m20261123_000007_create_lunchboxes;
mod m20261123_000008_create_banquets;
mod m20261123_000009_create_care;
mod m20261123_000010_create_care_requests;
mod m20261130_000011_create_event_relay;
mod m20261130_000012_create_wechat_push;
mod m20261130_000013_create_deadline_policy;
mod m20261130_000020_index_orders_by_community;
mod m20261207_000010_upload_quota;
mod m20261207_000020_alarm_location;
mod m20261207_000030_create_rule_changes;
mod m20261207_000040_create_data_deletion_requests;
mod m20261208_000010_create_hierarchy;
mod m20261208_000020_households_on_records;
mod m20261208_000030_street_and_departments;
mod m20261208_000040_arrival_and_return_visits;
mod m20261208_000050_order_times;
mod shared;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_org::Migration),
            Box::new(m20261123_000002_create_auth::Migration),
            Box::new(m20261123_000003_create_orders::Migration),
            Box::new(m20261123_000004_create_party_work::Migration),
            Box::new(m20261123_000005_create_ledger::Migration),
            Box::new(m20261123_000006_create_canteen::Migration),
            Box::new(m20261123_000007_create_lunchboxes::Migration),
            Box::new(m20261123_000008_create_banquets::Migration),
            Box::new(m20261123_000009_create_care::Migration),
            Box::new(m20261123_000010_create_care_requests::Migration),
            Box::new(m20261130_000011_create_event_relay::Migration),
            Box::new(m20261130_000012_create_wechat_push::Migration),
            Box::new(m20261130_000013_create_deadline_policy::Migration),
            Box::new(m20261130_000020_index_orders_by_community::Migration),
            Box::new(m20261207_000010_upload_quota::Migration),
            Box::new(m20261207_000020_alarm_location::Migration),
            Box::new(m20261207_000030_create_rule_changes::Migration),
            Box::new(m20261207_000040_create_data_deletion_requests::Migration),
            Box::new(m20261208_000010_create_hierarchy::Migration),
            Box::new(m20261208_000020_households_on_records::Migration),
            Box::new(m20261208_000030_street_and_departments::Migration),
            Box::new(m20261208_000040_arrival_and_return_visits::Migration),
            Box::new(m20261208_000050_order_times::Migration),
        ]
    }
}
