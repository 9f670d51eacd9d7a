-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('owner', 'admin', 'platform', 'product', 'finance', 'viewer');

-- CreateEnum
CREATE TYPE "FailMode" AS ENUM ('closed', 'open');

-- CreateEnum
CREATE TYPE "ProviderKind" AS ENUM ('openai', 'openai_compatible', 'anthropic', 'gemini');

-- CreateEnum
CREATE TYPE "ModelKind" AS ENUM ('chat', 'embedding');

-- CreateEnum
CREATE TYPE "RiskLevel" AS ENUM ('low', 'medium', 'high');

-- CreateEnum
CREATE TYPE "LimitScope" AS ENUM ('tenant', 'app', 'key', 'route', 'model');

-- CreateEnum
CREATE TYPE "BudgetPeriod" AS ENUM ('day', 'week', 'month', 'total');

-- CreateEnum
CREATE TYPE "BudgetAction" AS ENUM ('block', 'downgrade', 'alert_only');

-- CreateEnum
CREATE TYPE "FeedbackAction" AS ENUM ('accepted', 'edited', 'regenerated', 'abandoned');

-- CreateEnum
CREATE TYPE "ReviewStatus" AS ENUM ('open', 'assigned', 'resolved');

-- CreateEnum
CREATE TYPE "AlertKind" AS ENUM ('budget_soft_threshold', 'budget_exhausted', 'spend_spike', 'error_rate', 'fallback_rate', 'p95_latency');

-- CreateTable
CREATE TABLE "tenants" (
    "id" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "time_zone" TEXT NOT NULL DEFAULT 'UTC',
    "log_bodies" BOOLEAN NOT NULL DEFAULT false,
    "body_max_bytes" INTEGER NOT NULL DEFAULT 32768,
    "retention_days" INTEGER NOT NULL DEFAULT 90,
    "body_retention_days" INTEGER NOT NULL DEFAULT 7,
    "budget_fail_mode" "FailMode" NOT NULL DEFAULT 'closed',
    "rate_limit_fail_mode" "FailMode" NOT NULL DEFAULT 'open',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tenants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "password_hash" TEXT,
    "email_verified" TIMESTAMPTZ(3),
    "image" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "memberships" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "memberships_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invitations" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "token_hash" TEXT NOT NULL,
    "invited_by_id" TEXT,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "accepted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "invitations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "accounts" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "provider_account_id" TEXT NOT NULL,
    "refresh_token" TEXT,
    "access_token" TEXT,
    "expires_at" INTEGER,
    "token_type" TEXT,
    "scope" TEXT,
    "id_token" TEXT,
    "session_state" TEXT,

    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sessions" (
    "id" TEXT NOT NULL,
    "session_token" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "expires" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "verification_tokens" (
    "identifier" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "expires" TIMESTAMPTZ(3) NOT NULL
);

-- CreateTable
CREATE TABLE "apps" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "apps_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "environments" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "app_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "environments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "app_id" TEXT NOT NULL,
    "environment_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "allowed_routes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "allowed_models" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "rpm" INTEGER,
    "tpm" INTEGER,
    "expires_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "provider_accounts" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "ProviderKind" NOT NULL,
    "base_url" TEXT,
    "credentials_ciphertext" TEXT,
    "credentials_env" TEXT,
    "auth_style" TEXT NOT NULL DEFAULT 'bearer',
    "api_version" TEXT,
    "headers" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "provider_accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "models" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "provider_account_id" TEXT NOT NULL,
    "upstream_model" TEXT NOT NULL,
    "kind" "ModelKind" NOT NULL DEFAULT 'chat',
    "context_window" INTEGER NOT NULL DEFAULT 128000,
    "max_output_tokens" INTEGER NOT NULL DEFAULT 4096,
    "capabilities" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "models_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_prices" (
    "id" TEXT NOT NULL,
    "model_id" TEXT NOT NULL,
    "effective_from" TIMESTAMPTZ(3) NOT NULL,
    "input_micros_per_mtok" BIGINT NOT NULL,
    "output_micros_per_mtok" BIGINT NOT NULL,
    "cached_input_micros_per_mtok" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_prices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "routes" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "current_version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "routes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "route_versions" (
    "id" TEXT NOT NULL,
    "route_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "risk_level" "RiskLevel" NOT NULL,
    "targets" JSONB NOT NULL,
    "upgrade_rules" JSONB NOT NULL DEFAULT '[]',
    "retry_limit" INTEGER NOT NULL DEFAULT 1,
    "total_timeout_ms" INTEGER NOT NULL DEFAULT 60000,
    "ttft_timeout_ms" INTEGER NOT NULL DEFAULT 15000,
    "max_input_tokens" INTEGER,
    "max_output_tokens" INTEGER,
    "validator" JSONB,
    "cache_ttl_seconds" INTEGER NOT NULL DEFAULT 0,
    "semantic_cache" JSONB,
    "guardrails" JSONB,
    "note" TEXT,
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "route_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "budgets" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "scope" "LimitScope" NOT NULL,
    "app_id" TEXT,
    "api_key_id" TEXT,
    "route_id" TEXT,
    "period" "BudgetPeriod" NOT NULL,
    "limit_micros" BIGINT NOT NULL,
    "soft_threshold_pct" INTEGER NOT NULL DEFAULT 80,
    "action" "BudgetAction" NOT NULL DEFAULT 'block',
    "downgrade_route_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "budgets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rate_limits" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "scope" "LimitScope" NOT NULL,
    "app_id" TEXT,
    "api_key_id" TEXT,
    "route_id" TEXT,
    "model_name" TEXT,
    "rpm" INTEGER,
    "tpm" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "rate_limits_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "request_logs" (
    "id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "app_id" TEXT,
    "environment_id" TEXT,
    "environment" TEXT,
    "api_key_id" TEXT,
    "endpoint" TEXT NOT NULL DEFAULT 'chat',
    "route_id" TEXT,
    "route_name" TEXT,
    "route_version" INTEGER,
    "workflow" TEXT,
    "end_user" TEXT,
    "user_tier" TEXT,
    "requested_model" TEXT NOT NULL,
    "final_model" TEXT,
    "provider" TEXT,
    "attempts" JSONB NOT NULL DEFAULT '[]',
    "retry_count" INTEGER NOT NULL DEFAULT 0,
    "fallback_used" BOOLEAN NOT NULL DEFAULT false,
    "downgraded" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL,
    "http_status" INTEGER NOT NULL,
    "error_code" TEXT,
    "mid_stream_failure" BOOLEAN NOT NULL DEFAULT false,
    "input_tokens" INTEGER NOT NULL DEFAULT 0,
    "output_tokens" INTEGER NOT NULL DEFAULT 0,
    "cached_tokens" INTEGER NOT NULL DEFAULT 0,
    "tokens_estimated" BOOLEAN NOT NULL DEFAULT false,
    "cost_micros" BIGINT NOT NULL DEFAULT 0,
    "cost_saved_micros" BIGINT NOT NULL DEFAULT 0,
    "latency_ms" INTEGER NOT NULL,
    "ttft_ms" INTEGER,
    "stream" BOOLEAN NOT NULL DEFAULT false,
    "cache_hit" TEXT NOT NULL DEFAULT 'none',
    "validator_result" TEXT NOT NULL DEFAULT 'none',
    "guardrail_findings" JSONB,
    "review_item_id" TEXT,
    "metadata" JSONB,
    "request_body" JSONB,
    "response_body" JSONB,

    CONSTRAINT "request_logs_pkey" PRIMARY KEY ("id","created_at")
) PARTITION BY RANGE ("created_at");

-- CreateTable
CREATE TABLE "feedback" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "request_id" TEXT NOT NULL,
    "api_key_id" TEXT NOT NULL,
    "action" "FeedbackAction" NOT NULL,
    "score" DOUBLE PRECISION,
    "request_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "feedback_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rollups_hourly" (
    "bucket_start" TIMESTAMPTZ(3) NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "app_id" TEXT NOT NULL DEFAULT '',
    "environment" TEXT NOT NULL DEFAULT '',
    "api_key_id" TEXT NOT NULL DEFAULT '',
    "route_name" TEXT NOT NULL DEFAULT '',
    "model" TEXT NOT NULL DEFAULT '',
    "workflow" TEXT NOT NULL DEFAULT '',
    "requests" INTEGER NOT NULL DEFAULT 0,
    "successes" INTEGER NOT NULL DEFAULT 0,
    "errors" INTEGER NOT NULL DEFAULT 0,
    "errors_by_class" JSONB NOT NULL DEFAULT '{}',
    "fallbacks" INTEGER NOT NULL DEFAULT 0,
    "retries" INTEGER NOT NULL DEFAULT 0,
    "cache_hits" INTEGER NOT NULL DEFAULT 0,
    "guardrail_hits" INTEGER NOT NULL DEFAULT 0,
    "input_tokens" BIGINT NOT NULL DEFAULT 0,
    "output_tokens" BIGINT NOT NULL DEFAULT 0,
    "cached_tokens" BIGINT NOT NULL DEFAULT 0,
    "cost_micros" BIGINT NOT NULL DEFAULT 0,
    "success_cost_micros" BIGINT NOT NULL DEFAULT 0,
    "cost_saved_micros" BIGINT NOT NULL DEFAULT 0,
    "latency_hist" JSONB NOT NULL DEFAULT '{}',
    "ttft_hist" JSONB NOT NULL DEFAULT '{}',
    "latency_p50_ms" INTEGER,
    "latency_p95_ms" INTEGER,
    "latency_p99_ms" INTEGER,
    "ttft_p50_ms" INTEGER,
    "ttft_p95_ms" INTEGER,
    "ttft_p99_ms" INTEGER,
    "feedback_accepted" INTEGER NOT NULL DEFAULT 0,
    "feedback_edited" INTEGER NOT NULL DEFAULT 0,
    "feedback_regenerated" INTEGER NOT NULL DEFAULT 0,
    "feedback_abandoned" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rollups_hourly_pkey" PRIMARY KEY ("tenant_id","bucket_start","app_id","environment","api_key_id","route_name","model","workflow")
);

-- CreateTable
CREATE TABLE "rollups_daily" (
    "bucket_start" TIMESTAMPTZ(3) NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "app_id" TEXT NOT NULL DEFAULT '',
    "environment" TEXT NOT NULL DEFAULT '',
    "api_key_id" TEXT NOT NULL DEFAULT '',
    "route_name" TEXT NOT NULL DEFAULT '',
    "model" TEXT NOT NULL DEFAULT '',
    "workflow" TEXT NOT NULL DEFAULT '',
    "requests" INTEGER NOT NULL DEFAULT 0,
    "successes" INTEGER NOT NULL DEFAULT 0,
    "errors" INTEGER NOT NULL DEFAULT 0,
    "errors_by_class" JSONB NOT NULL DEFAULT '{}',
    "fallbacks" INTEGER NOT NULL DEFAULT 0,
    "retries" INTEGER NOT NULL DEFAULT 0,
    "cache_hits" INTEGER NOT NULL DEFAULT 0,
    "guardrail_hits" INTEGER NOT NULL DEFAULT 0,
    "input_tokens" BIGINT NOT NULL DEFAULT 0,
    "output_tokens" BIGINT NOT NULL DEFAULT 0,
    "cached_tokens" BIGINT NOT NULL DEFAULT 0,
    "cost_micros" BIGINT NOT NULL DEFAULT 0,
    "success_cost_micros" BIGINT NOT NULL DEFAULT 0,
    "cost_saved_micros" BIGINT NOT NULL DEFAULT 0,
    "latency_hist" JSONB NOT NULL DEFAULT '{}',
    "ttft_hist" JSONB NOT NULL DEFAULT '{}',
    "latency_p50_ms" INTEGER,
    "latency_p95_ms" INTEGER,
    "latency_p99_ms" INTEGER,
    "ttft_p50_ms" INTEGER,
    "ttft_p95_ms" INTEGER,
    "ttft_p99_ms" INTEGER,
    "feedback_accepted" INTEGER NOT NULL DEFAULT 0,
    "feedback_edited" INTEGER NOT NULL DEFAULT 0,
    "feedback_regenerated" INTEGER NOT NULL DEFAULT 0,
    "feedback_abandoned" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rollups_daily_pkey" PRIMARY KEY ("tenant_id","bucket_start","app_id","environment","api_key_id","route_name","model","workflow")
);

-- CreateTable
CREATE TABLE "rollup_state" (
    "name" TEXT NOT NULL,
    "watermark" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rollup_state_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "review_items" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "request_id" TEXT NOT NULL,
    "route_name" TEXT NOT NULL,
    "route_version" INTEGER NOT NULL,
    "error_code" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "status" "ReviewStatus" NOT NULL DEFAULT 'open',
    "assignee_id" TEXT,
    "resolution_note" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(3),

    CONSTRAINT "review_items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alert_rules" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "AlertKind" NOT NULL,
    "params" JSONB NOT NULL DEFAULT '{}',
    "webhook_url" TEXT,
    "webhook_secret_ciphertext" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "alert_rules_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alert_events" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "rule_id" TEXT,
    "kind" "AlertKind" NOT NULL,
    "dedupe_key" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "delivered_at" TIMESTAMPTZ(3),

    CONSTRAINT "alert_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alert_deliveries" (
    "id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "response_status" INTEGER,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "alert_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_logs" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT,
    "actor_type" TEXT NOT NULL,
    "actor_id" TEXT,
    "actor_name" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "resource_type" TEXT NOT NULL,
    "resource_id" TEXT,
    "before" JSONB,
    "after" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_logs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "semantic_cache_entries" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "route_name" TEXT NOT NULL,
    "route_version" INTEGER NOT NULL,
    "embedding" DOUBLE PRECISION[],
    "query_text" TEXT NOT NULL,
    "response" JSONB NOT NULL,
    "cost_micros" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "semantic_cache_entries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "tenants_slug_key" ON "tenants"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE INDEX "memberships_user_id_idx" ON "memberships"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "memberships_tenant_id_user_id_key" ON "memberships"("tenant_id", "user_id");

-- CreateIndex
CREATE UNIQUE INDEX "invitations_token_hash_key" ON "invitations"("token_hash");

-- CreateIndex
CREATE INDEX "invitations_tenant_id_email_idx" ON "invitations"("tenant_id", "email");

-- CreateIndex
CREATE INDEX "accounts_user_id_idx" ON "accounts"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "accounts_provider_provider_account_id_key" ON "accounts"("provider", "provider_account_id");

-- CreateIndex
CREATE UNIQUE INDEX "sessions_session_token_key" ON "sessions"("session_token");

-- CreateIndex
CREATE INDEX "sessions_user_id_idx" ON "sessions"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "verification_tokens_identifier_token_key" ON "verification_tokens"("identifier", "token");

-- CreateIndex
CREATE UNIQUE INDEX "apps_tenant_id_slug_key" ON "apps"("tenant_id", "slug");

-- CreateIndex
CREATE INDEX "environments_tenant_id_idx" ON "environments"("tenant_id");

-- CreateIndex
CREATE UNIQUE INDEX "environments_app_id_name_key" ON "environments"("app_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_hash_key" ON "api_keys"("hash");

-- CreateIndex
CREATE INDEX "api_keys_tenant_id_prefix_idx" ON "api_keys"("tenant_id", "prefix");

-- CreateIndex
CREATE INDEX "api_keys_app_id_idx" ON "api_keys"("app_id");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_environment_id_name_key" ON "api_keys"("environment_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "provider_accounts_tenant_id_name_key" ON "provider_accounts"("tenant_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "models_tenant_id_name_key" ON "models"("tenant_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "model_prices_model_id_effective_from_key" ON "model_prices"("model_id", "effective_from");

-- CreateIndex
CREATE UNIQUE INDEX "routes_tenant_id_name_key" ON "routes"("tenant_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "route_versions_route_id_version_key" ON "route_versions"("route_id", "version");

-- CreateIndex
CREATE UNIQUE INDEX "budgets_tenant_id_name_key" ON "budgets"("tenant_id", "name");

-- CreateIndex
CREATE INDEX "rate_limits_tenant_id_idx" ON "rate_limits"("tenant_id");

-- CreateIndex
CREATE INDEX "request_logs_tenant_id_created_at_idx" ON "request_logs"("tenant_id", "created_at");

-- CreateIndex
CREATE INDEX "request_logs_api_key_id_created_at_idx" ON "request_logs"("api_key_id", "created_at");

-- CreateIndex
CREATE INDEX "request_logs_tenant_id_route_name_created_at_idx" ON "request_logs"("tenant_id", "route_name", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "feedback_request_id_key" ON "feedback"("request_id");

-- CreateIndex
CREATE INDEX "feedback_tenant_id_request_at_idx" ON "feedback"("tenant_id", "request_at");

-- CreateIndex
CREATE INDEX "rollups_hourly_tenant_id_bucket_start_idx" ON "rollups_hourly"("tenant_id", "bucket_start");

-- CreateIndex
CREATE INDEX "rollups_daily_tenant_id_bucket_start_idx" ON "rollups_daily"("tenant_id", "bucket_start");

-- CreateIndex
CREATE INDEX "review_items_tenant_id_status_created_at_idx" ON "review_items"("tenant_id", "status", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "alert_rules_tenant_id_name_key" ON "alert_rules"("tenant_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "alert_events_dedupe_key_key" ON "alert_events"("dedupe_key");

-- CreateIndex
CREATE INDEX "alert_events_tenant_id_created_at_idx" ON "alert_events"("tenant_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "alert_deliveries_event_id_attempt_key" ON "alert_deliveries"("event_id", "attempt");

-- CreateIndex
CREATE INDEX "audit_logs_tenant_id_created_at_idx" ON "audit_logs"("tenant_id", "created_at");

-- CreateIndex
CREATE INDEX "semantic_cache_entries_tenant_id_route_name_route_version_c_idx" ON "semantic_cache_entries"("tenant_id", "route_name", "route_version", "created_at");

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_invited_by_id_fkey" FOREIGN KEY ("invited_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "apps" ADD CONSTRAINT "apps_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "environments" ADD CONSTRAINT "environments_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "environments" ADD CONSTRAINT "environments_app_id_fkey" FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_app_id_fkey" FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_environment_id_fkey" FOREIGN KEY ("environment_id") REFERENCES "environments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "provider_accounts" ADD CONSTRAINT "provider_accounts_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "models" ADD CONSTRAINT "models_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "models" ADD CONSTRAINT "models_provider_account_id_fkey" FOREIGN KEY ("provider_account_id") REFERENCES "provider_accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_prices" ADD CONSTRAINT "model_prices_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "routes" ADD CONSTRAINT "routes_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "route_versions" ADD CONSTRAINT "route_versions_route_id_fkey" FOREIGN KEY ("route_id") REFERENCES "routes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_app_id_fkey" FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_api_key_id_fkey" FOREIGN KEY ("api_key_id") REFERENCES "api_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_route_id_fkey" FOREIGN KEY ("route_id") REFERENCES "routes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_downgrade_route_id_fkey" FOREIGN KEY ("downgrade_route_id") REFERENCES "routes"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rate_limits" ADD CONSTRAINT "rate_limits_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rate_limits" ADD CONSTRAINT "rate_limits_app_id_fkey" FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rate_limits" ADD CONSTRAINT "rate_limits_api_key_id_fkey" FOREIGN KEY ("api_key_id") REFERENCES "api_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rate_limits" ADD CONSTRAINT "rate_limits_route_id_fkey" FOREIGN KEY ("route_id") REFERENCES "routes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "feedback" ADD CONSTRAINT "feedback_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "review_items" ADD CONSTRAINT "review_items_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "review_items" ADD CONSTRAINT "review_items_assignee_id_fkey" FOREIGN KEY ("assignee_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_rules" ADD CONSTRAINT "alert_rules_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_events" ADD CONSTRAINT "alert_events_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_events" ADD CONSTRAINT "alert_events_rule_id_fkey" FOREIGN KEY ("rule_id") REFERENCES "alert_rules"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "alert_events"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_logs" ADD CONSTRAINT "audit_logs_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Request logs are partitioned by month so retention drops partitions instead of deleting rows. Partitions
-- live in their own schema so Prisma's view of "public" stays exactly schema.prisma. A default partition
-- catches rows outside every monthly one; gateway_ensure_request_log_partitions() creates the months ahead
-- (the proxy calls it at start-up, the worker daily) and moves any default-partition rows into them.
CREATE SCHEMA IF NOT EXISTS "request_log_partitions";

CREATE TABLE "request_log_partitions"."request_logs_default" PARTITION OF "request_logs" DEFAULT;

CREATE OR REPLACE FUNCTION gateway_ensure_request_log_partitions(from_month timestamptz, months integer)
RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
  m integer;
  start_at timestamptz;
  end_at timestamptz;
  part_name text;
  created integer := 0;
BEGIN
  -- One creator at a time: concurrent proxies and workers would otherwise race on CREATE TABLE.
  PERFORM pg_advisory_xact_lock(72707370);
  FOR m IN 0..months - 1 LOOP
    start_at := date_trunc('month', from_month AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + make_interval(months => m);
    end_at := start_at + interval '1 month';
    part_name := 'request_logs_' || to_char(start_at AT TIME ZONE 'UTC', 'YYYY_MM');
    IF to_regclass('request_log_partitions.' || part_name) IS NULL THEN
      -- Rows that landed in the default partition for this month must move into the new one.
      EXECUTE format('CREATE TEMP TABLE _moved ON COMMIT DROP AS SELECT * FROM request_log_partitions.request_logs_default WHERE created_at >= %L AND created_at < %L', start_at, end_at);
      EXECUTE format('DELETE FROM request_log_partitions.request_logs_default WHERE created_at >= %L AND created_at < %L', start_at, end_at);
      EXECUTE format('CREATE TABLE request_log_partitions.%I PARTITION OF public.request_logs FOR VALUES FROM (%L) TO (%L)', part_name, start_at, end_at);
      EXECUTE 'INSERT INTO public.request_logs SELECT * FROM _moved';
      EXECUTE 'DROP TABLE _moved';
      created := created + 1;
    END IF;
  END LOOP;
  RETURN created;
END
$fn$;
