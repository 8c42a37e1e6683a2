# syntax=docker/dockerfile:1
# One image, every module; choose modules per container with Modules__Api/Answers/Live/Web=true|false.
# Configuration comes only from the environment: ConnectionStrings__Postgres, ConnectionStrings__Redis, Llm__*, ...

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore on its own layer: it changes only when the project files or package versions do.
COPY Directory.Build.props Directory.Packages.props .editorconfig appsettings.json ./
COPY QaMonolith/QaMonolith.csproj QaMonolith/
RUN dotnet restore QaMonolith/QaMonolith.csproj
COPY QaMonolith/ QaMonolith/
RUN dotnet publish QaMonolith/QaMonolith.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# llama.cpp (the Local provider's CPU backend) links OpenMP's runtime, which the ASP.NET image lacks.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_ENVIRONMENT=Production
EXPOSE 8080
# The runtime image has no curl; bash's /dev/tcp is enough for a plain HTTP/1.0 probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /health/ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# The .NET images ship a non-root user; APP_UID is its id.
USER $APP_UID
ENTRYPOINT ["dotnet", "QaMonolith.dll"]
