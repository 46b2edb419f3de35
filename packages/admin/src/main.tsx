import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApolloProvider } from '@apollo/client/react';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { apolloClient } from './app/apollo';
import { Layout } from './app/Layout';
import { OverviewPage } from './routes/overview/OverviewPage';
import './styles.css';

const router = createBrowserRouter(
  [
    {
      element: <Layout />,
      children: [{ index: true, element: <OverviewPage /> }],
    },
  ],
  { basename: '/app/admin' },
);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApolloProvider client={apolloClient}>
      <RouterProvider router={router} />
    </ApolloProvider>
  </StrictMode>,
);
