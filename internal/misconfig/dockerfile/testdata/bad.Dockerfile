FROM ubuntu
MAINTAINER Jane Doe <jane@example.com>
ENV DB_PASSWORD=hunter2hunter2 \
    APP_ENV=production
ARG NPM_TOKEN=npm_abcdefghijklmnopqrstuvwxyz0123456789
RUN apt-get update
RUN apt-get upgrade -y && apt install openssh-server
RUN curl -fsSL https://get.example.com/install.sh | sudo bash
ADD https://example.com/app.tar.gz /opt/
ADD config.yaml /etc/app/
COPY id_rsa /root/.ssh/id_rsa
COPY .env /app/.env
WORKDIR app
RUN cd /opt && chmod -R 777 /opt/app
RUN pip install -r requirements.txt
EXPOSE 22 8080
CMD ./start.sh
CMD ["./start.sh"]
USER root
