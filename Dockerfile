# One image for every Node service of the platform; docker-compose.yml picks the command per service.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1 PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1
COPY . .
RUN npm ci --no-audit --no-fund && npm run build -w @gateway/dashboard
EXPOSE 4000 3000 4010 4020
CMD ["npx", "tsx", "apps/proxy/src/main.ts"]
