# Build and run Depot on Debian 12 with the Swift 6 toolchain image.
FROM swift:6.2-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends pkg-config libvips-dev libpq-dev \
    libcurl4-openssl-dev libhiredis-dev libsqlite3-dev libargon2-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN swift build -c release --product depot && cp .build/release/depot /usr/local/bin/depot

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libvips42 libpq5 libcurl4 libhiredis0.14 \
    libsqlite3-0 libargon2-1 ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/depot /usr/local/bin/depot
COPY --from=build /usr/lib/swift/linux/*.so* /usr/lib/swift/linux/
ENV LD_LIBRARY_PATH=/usr/lib/swift/linux
WORKDIR /depot
EXPOSE 8055
CMD ["depot", "serve"]
